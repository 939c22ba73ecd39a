/// The vec dialect: Vector256 operations added to the loop dialect as its extension ops. A vector
/// value is a Var of aval `dtype[W]` (W lanes, 32 bytes: 8 × f32, 4 × f64); `Compute` on vector
/// operands is lanewise (a rank-0 literal operand is splat). A vectorized loop steps by W over
/// contiguous lanes and is followed by a scalar tail loop for the remainder.
module Cotangent.Core.Dialects.Vec

open System
open Cotangent.Core
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.Loop

type VecOp =
    /// W consecutive elements from addr (the vector loop's induction variable has stride 1 in it).
    | VLoad of dst: Var * src: Buffer * Addr
    /// W elements `stride` apart from addr (a column of a row-major array, say).
    | VGather of dst: Var * src: Buffer * Addr * stride: int
    /// W consecutive elements to addr.
    | VStore of dst: Buffer * Addr * Atom
    /// Every lane set to a scalar.
    | VSplat of dst: Var * Atom
    /// The lanes of a vector combined into a scalar.
    | VReduce of dst: Var * Combiner * Atom
    /// a * b + c lanewise with one rounding (float vectors of one aval; a literal scalar operand
    /// is splat): `fp-contract` forms it.
    | VFma of dst: Var * a: Atom * b: Atom * c: Atom

type VecStmt = Stmt<VecOp>
type VecProgram = Program<VecOp>

/// Lanes per 256-bit vector of `dtype`.
let width (dtype: DType) =
    match dtype with
    | F64 -> 4
    | F32 | I32 | U32 -> 8
    | Bool -> 32

let isVector (v: Var) = v.Aval.Shape.Length = 1

let private printOp (pr: Printer<VecOp>) (op: VecOp) : string list =
    match op with
    | VLoad(dst, src, addr) -> [ pr.Def dst "vec.load" (pr.At src addr) ]
    | VGather(dst, src, addr, stride) -> [ pr.Def dst "vec.gather" $"{pr.At src addr} stride {stride}" ]
    | VStore(dst, addr, v) -> [ $"vec.store {pr.Atom v}, {pr.At dst addr}" ]
    | VSplat(dst, v) -> [ pr.Def dst "vec.splat" (pr.Atom v) ]
    | VReduce(dst, c, v) -> [ pr.Def dst $"vec.reduce[{Combiner.name c}]" (pr.Atom v) ]
    | VFma(dst, a, b, c) -> [ pr.Def dst "vec.fma" $"{pr.Atom a}, {pr.Atom b}, {pr.Atom c}" ]

/// The program in generic form (loop and vec ops).
let print (p: VecProgram) : string = printWith printOp p

/// True when no statement (loop bodies included) is a vec op: the loop stage's legality.
let isScalarOnly (p: VecProgram) =
    let mutable ok = true
    iterStmts (fun s -> match s with Ext _ -> ok <- false | _ -> ()) p.Body
    ok

/// The vars a vec op binds, the atoms it reads and the buffers it touches (for the verifier and
/// the runtime's segment cuts).
let extVars (op: VecOp) =
    match op with
    | VLoad(dst, src, a) | VGather(dst, src, a, _) -> [ dst ], (a.Terms |> List.map (fst >> Var)), [ src ]
    | VStore(dst, a, v) -> [], v :: (a.Terms |> List.map (fst >> Var)), [ dst ]
    | VSplat(dst, v) -> [ dst ], [ v ], []
    | VReduce(dst, _, v) -> [ dst ], [ v ], []
    | VFma(dst, a, b, c) -> [ dst ], [ a; b; c ], []

/// An operand of a vec.fma of type `aval`: a vector of that type or a literal scalar (splat).
let fmaOperand (aval: Aval) (x: Atom) =
    match x with
    | Var v -> v.Aval = aval
    | Lit l -> l.Aval.Shape.Length = 0 && l.Aval.DType = aval.DType

/// Calls `read` on each atom a statement other than a loop reads (address indices included), then
/// `bind` on each var it binds; loops are walked by the callers, which know their scopes. Visits
/// instead of returning lists: the emitter and the runtime ask this of every statement.
let visitStmt (bind: Var -> unit) (read: Atom -> unit) (s: VecStmt) =
    let addr (a: Addr) = for v, _ in a.Terms do read (Var v)
    match s with
    | For _ | Fill _ | Call _ -> ()
    | Load(dst, _, a) -> addr a; bind dst
    | Compute(dst, _, args) -> List.iter read args; bind dst
    | Store(_, a, v) | Accum(_, a, _, v) -> addr a; read v
    | Ext x ->
        let binds, reads, _ = extVars x
        List.iter read reads
        List.iter bind binds

/// `visitStmt` through loops too, in program order: a loop binds its induction var and carried
/// vars, reads their initial values, then its body, then reads its yields and binds its results.
/// For walkers that need no scopes or positions (free vars, read counts).
let rec visitAll (bind: Var -> unit) (read: Atom -> unit) (stmts: VecStmt list) =
    for s in stmts do
        match s with
        | For l ->
            bind l.Iv
            for v, init in l.Carried do
                bind v
                read init
            visitAll bind read l.Body
            List.iter read l.Yield
            List.iter bind l.Results
        | _ -> visitStmt bind read s

/// Every problem in a loop- or vec-stage program; `loopStage` also rejects vec ops.
let verify (loopStage: bool) (p: VecProgram) : string list =
    let legality = if loopStage && not (isScalarOnly p) then [ "a vec op in a loop-stage program" ] else []
    let fmaTypes = ResizeArray<string>()
    iterStmts (fun s ->
        match s with
        | Ext(VFma(dst, a, b, c)) ->
            let avals = [ a; b; c ] |> List.map Atom.aval
            if not (DType.isFloat dst.Aval.DType && isVector dst) || not (List.forall (fmaOperand dst.Aval) [ a; b; c ]) then
                let operands = avals |> List.map Aval.str |> String.concat ", "
                fmaTypes.Add $"vec.fma %%{dst.Id} : {Aval.str dst.Aval} of ({operands}): expected float vectors of one type (or literal scalars)"
        | _ -> ()) p.Body
    legality @ List.ofSeq fmaTypes @ Loop.verify p extVars
