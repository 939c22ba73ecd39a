/// The loop dialect: flat buffers with a memory plan, counted loops (with loop-carried values,
/// like MLIR's scf.for), scalar loads and stores at affine addresses, scalar lax ops, and
/// whole-buffer library calls for the ops no kernel covers. Statements are generic in an
/// extension 'X, which the vec dialect (Vec.fs) fills with its SIMD ops; a loop-stage program
/// contains no extension op (the verifier checks dialect legality per stage).
module Cotangent.Core.Dialects.Loop

open System
open System.Text
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Kernel

/// Where a buffer's storage comes from. Temps share a slot when their live ranges do not
/// overlap (the memory plan); a slot is sized for its largest buffer. A view is `offset`
/// elements into another buffer's storage (a reshape or a contiguous slice of it: no copy).
type BufferKind =
    | Arg of index: int
    | Const of NdArray
    | Result of index: int
    | Temp of slot: int
    | View of source: Buffer * offset: int

/// Flat row-major storage of `Aval`'s elements.
and [<CustomEquality; NoComparison>] Buffer =
    { Id: int
      Aval: Aval
      Kind: BufferKind }

    override this.Equals(other) =
        match other with
        | :? Buffer as b -> b.Id = this.Id
        | _ -> false

    override this.GetHashCode() = this.Id

/// An element index affine in the loop induction variables: Offset + Σ stride·iv.
type Addr = { Offset: int; Terms: (Var * int) list }

type Stmt<'X> =
    /// for iv = Lo to Hi step Step, carrying values (init → body results → loop results).
    | For of ForLoop<'X>
    | Load of dst: Var * src: Buffer * Addr
    /// A lax elementwise op on scalars (or, in the vec dialect, on vectors lane by lane).
    | Compute of dst: Var * Prim * Atom list
    | Store of dst: Buffer * Addr * Atom
    /// dst[addr] = combine(dst[addr], value).
    | Accum of dst: Buffer * Addr * Combiner * Atom
    /// Every element of dst set to a scalar.
    | Fill of dst: Buffer * NdArray
    /// A lax op on whole buffers (GEMM for dot_general, the reference kernels otherwise).
    | Call of Prim * inputs: Buffer list * outputs: Buffer list
    | Ext of 'X

and ForLoop<'X> =
    { Iv: Var
      Lo: int
      Hi: int
      Step: int
      /// Split across cores by the runtime (the body writes disjoint elements per iteration).
      Parallel: bool
      Carried: (Var * Atom) list
      Body: Stmt<'X> list
      Yield: Atom list
      Results: Var list }

/// A program over buffers: arguments (then consts) in, results out.
type Program<'X> =
    { Args: Buffer list
      Consts: Buffer list
      Temps: Buffer list
      Results: Buffer list
      Body: Stmt<'X> list }

module Addr =
    let constant offset = { Offset = offset; Terms = [] }

    /// The stride of `iv` in the address (0 when it does not occur).
    let strideOf (iv: Var) (addr: Addr) =
        addr.Terms |> List.sumBy (fun (v, s) -> if v = iv then s else 0)

module Buffer =
    /// A view of `aval` at element `offset` lies inside storage of `source`'s aval (same dtype).
    let fitsInside (source: Aval) (offset: int) (aval: Aval) =
        source.DType = aval.DType && offset >= 0 && offset + Aval.size aval <= Aval.size source

    let name (b: Buffer) =
        match b.Kind with
        | Arg i -> $"%%arg{i}"
        | Const _ -> $"%%cst{b.Id}"
        | Result i -> $"%%res{i}"
        | Temp _ | View _ -> $"%%buf{b.Id}"


/// Printing: MLIR-like generic form in LaxGeneric's spellings (types with {weak}, typed literals
/// `1.0:f32[]`, params as `{key = attr}`); the grammar is LoopText's. Vars print as %N, numbered
/// in order of appearance (a loop's results before its induction variable).
type Printer<'X>(ext: Printer<'X> -> 'X -> string list) =
    let names = Collections.Generic.Dictionary<Var, string>()
    member _.Var(v: Var) =
        match names.TryGetValue v with
        | true, n -> n
        | _ ->
            let n = $"%%{names.Count}"
            names[v] <- n
            n
    member this.Atom(a: Atom) =
        match a with
        | Var v -> this.Var v
        | Lit l -> GenericForm.literalText l
    member this.Atoms(xs: Atom list) = String.Join(", ", xs |> List.map this.Atom)
    /// `%N = op operands : type`
    member this.Def (dst: Var) (op: string) (operands: string) =
        let operands = if operands = "" then "" else " " + operands.TrimStart()
        $"{this.Var dst} = {op}{operands} : {LaxGeneric.typeText dst.Aval}"
    member this.Addr(a: Addr) =
        let terms = a.Terms |> List.map (fun (v, s) -> if s = 1 then this.Var v else $"{s}*{this.Var v}")
        let parts = (if a.Offset <> 0 || terms.IsEmpty then [ string a.Offset ] else []) @ terms
        "[" + String.Join(" + ", parts) + "]"
    member this.At (b: Buffer) (a: Addr) = Buffer.name b + this.Addr a
    member this.Stmt(s: Stmt<'X>) : string list =
        match s with
        | For l ->
            let results = if l.Results.IsEmpty then "" else String.Join(", ", l.Results |> List.map this.Var) + " = "
            let iv = this.Var l.Iv
            let par = if l.Parallel then " parallel" else ""
            let carried =
                if l.Carried.IsEmpty then ""
                else
                    let inits = l.Carried |> List.map (fun (v, init) -> $"{this.Var v} = {this.Atom init}")
                    let types = l.Carried |> List.map (fun (v, _) -> LaxGeneric.typeText v.Aval)
                    " iter_args(" + String.Join(", ", inits) + ") -> (" + String.Join(", ", types) + ")"
            let head = $"{results}loop.for {iv} = {l.Lo} to {l.Hi} step {l.Step}{par}{carried} : {LaxGeneric.typeText l.Iv.Aval} {{"
            let body = l.Body |> List.collect this.Stmt
            let yields = if l.Yield.IsEmpty then [] else [ "loop.yield " + this.Atoms l.Yield ]
            head :: ((body @ yields) |> List.map (fun line -> "  " + line)) @ [ "}" ]
        | Load(dst, src, addr) -> [ this.Def dst "loop.load" (this.At src addr) ]
        | Compute(dst, prim, args) -> [ this.Def dst $"lax.{Lax.name prim}" (this.Atoms args + LaxGeneric.attrsText prim) ]
        | Store(dst, addr, v) -> [ $"loop.store {this.Atom v}, {this.At dst addr}" ]
        | Accum(dst, addr, c, v) -> [ $"loop.accumulate[{Combiner.name c}] {this.Atom v}, {this.At dst addr}" ]
        | Fill(dst, value) -> [ $"loop.fill {GenericForm.literalText value}, {Buffer.name dst}" ]
        | Call(prim, ins, outs) ->
            let names (bs: Buffer list) = String.Join(", ", bs |> List.map Buffer.name)
            [ $"loop.call @{Lax.name prim}({names ins}){LaxGeneric.attrsText prim} -> ({names outs})" ]
        | Ext x -> ext this x

/// The program in generic form: a function over its buffers (each arg and result with its id),
/// the consts with their values and the temps with their slots, then the statements.
let printWith (ext: Printer<'X> -> 'X -> string list) (p: Program<'X>) : string =
    let pr = Printer<'X>(ext)
    let sb = StringBuilder()
    let param (b: Buffer) = $"{Buffer.name b}: {LaxGeneric.typeText b.Aval} {{id = {b.Id}}}"
    let signature (bs: Buffer list) = String.Join(", ", bs |> List.map param)
    sb.Append($"loop.func @main({signature p.Args}) -> ({signature p.Results}) {{\n") |> ignore
    for b in p.Consts @ p.Temps do
        let decl =
            match b.Kind with
            | Const value -> $"""loop.const dense<[{String.Join(", ", GenericForm.elems value)}]>"""
            | Temp slot -> $"loop.alloc {{slot = {slot}}}"
            | View(source, offset) -> $"loop.view {Buffer.name source}[{offset}]"
            | Arg _ | Result _ -> "loop.alloc" // misplaced: an arg or result among consts and temps
        sb.Append($"  {Buffer.name b} = {decl} : {LaxGeneric.typeText b.Aval}\n") |> ignore
    for s in p.Body do
        for line in pr.Stmt s do
            sb.Append("  ").Append(line).Append('\n') |> ignore
    sb.Append("}").ToString()

/// Walks every statement, loops' bodies included, in program order.
let rec iterStmts (f: Stmt<'X> -> unit) (stmts: Stmt<'X> list) =
    for s in stmts do
        f s
        match s with
        | For l -> iterStmts f l.Body
        | _ -> ()

/// Every problem in a program: a scalar used before it is bound or bound twice, a buffer that is
/// not declared, a loop whose carried values, yields and results disagree; [] means valid.
let verify (p: Program<'X>) (extVars: 'X -> Var list * Atom list * Buffer list) : string list =
    let problems = ResizeArray<string>()
    let declared = Collections.Generic.HashSet<int>(p.Args @ p.Consts @ p.Temps @ p.Results |> List.map (fun b -> b.Id))
    let bound = Collections.Generic.HashSet<Var>()
    let bind (v: Var) = if not (bound.Add v) then problems.Add $"%%{v.Id} is bound twice"
    let use' (a: Atom) = match a with Var v when not (bound.Contains v) -> problems.Add $"%%{v.Id} is used before it is bound" | _ -> ()
    let buffer (b: Buffer) = if not (declared.Contains b.Id) then problems.Add $"{Buffer.name b} is not declared"
    // a view lies inside its source, a declared buffer that is no view itself
    for b in p.Temps do
        match b.Kind with
        | View(source, offset) ->
            match source.Kind with
            | View _ -> problems.Add $"{Buffer.name b} views {Buffer.name source}, which is a view itself"
            | Arg _ | Const _ | Temp _ | Result _ -> buffer source
            if not (Buffer.fitsInside source.Aval offset b.Aval) then
                problems.Add $"{Buffer.name b}: {Aval.str b.Aval} at offset {offset} does not lie inside {Buffer.name source}: {Aval.str source.Aval}"
        | Arg _ | Const _ | Result _ | Temp _ -> ()
    let rec walk (stmts: Stmt<'X> list) =
        for s in stmts do
            match s with
            | For l ->
                if l.Carried.Length <> l.Yield.Length || l.Carried.Length <> l.Results.Length then
                    problems.Add $"loop over %%{l.Iv.Id} carries {l.Carried.Length} values, yields {l.Yield.Length}, returns {l.Results.Length}"
                if l.Step <= 0 then problems.Add $"loop over %%{l.Iv.Id} has step {l.Step}"
                List.iter (snd >> use') l.Carried
                bind l.Iv
                List.iter (fst >> bind) l.Carried
                walk l.Body
                List.iter use' l.Yield
                List.iter bind l.Results
            | Load(dst, src, a) -> buffer src; List.iter (fst >> Var >> use') a.Terms; bind dst
            | Compute(dst, _, args) -> List.iter use' args; bind dst
            | Store(dst, a, v) | Accum(dst, a, _, v) -> buffer dst; List.iter (fst >> Var >> use') a.Terms; use' v
            | Fill(dst, _) -> buffer dst
            | Call(_, ins, outs) -> List.iter buffer (ins @ outs)
            | Ext x ->
                let defs, uses, bufs = extVars x
                List.iter use' uses
                List.iter buffer bufs
                List.iter bind defs
    walk p.Body
    List.ofSeq problems
