/// The loop and vec dialects' generic text (Loop.printWith, Vec.print) read back: `parse` takes a
/// loop.func of either stage and returns its program, buffers with their ids, kinds and values.
/// Guarantees: `parse` never throws and always ends (loops nest at most 64 deep); errors carry a
/// 1-based line and column; print (parse (print p)) = print p; a parsed program passes
/// Vec.verify false, and each lax op's result has the type its rule gives (lanewise on vectors).
module Cotangent.Core.Dialects.LoopText

open System
open System.Collections.Generic
open System.Globalization
open Cotangent.Core
open Cotangent.Core.Dialects.LaxTokens
open Cotangent.Core.Dialects.GenericForm
open Cotangent.Core.Dialects.GenericRead
open Cotangent.Core.Dialects.LaxGeneric
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec

// Grammar (one statement per line; layout is free for the parser). Types, atoms, literals, elems
// and attrs are LaxGeneric's: `f32[8]`, `%3`, `1.0:f32[]{weak}`, `{axes = [0]}`.
//   func   ::= loop.func @main ( param , ... ) -> ( param , ... ) { decl* stmt* }
//   param  ::= %argI : type {id = N}  |  %resI : type {id = N}            (I: the arg/result index)
//   decl   ::= %cstN = loop.const dense< [ elem , ... ] > : type  |  %bufN = loop.alloc {slot = S} : type
//            | %bufN = loop.view buf [ offset ] : type                  (storage of buf, offset elements in)
//   stmt   ::= [ %N , ... = ] loop.for %N = lo to hi step s [parallel]
//                  [iter_args( %N = atom , ... ) -> ( type , ... )] : i32[] { stmt* [loop.yield atom , ...] }
//            | %N = lax.NAME atom , ... [attrs] : type                   (lanewise if an operand is a vector)
//            | %N = loop.load buf addr : type  | loop.store atom , buf addr | loop.accumulate[comb] atom , buf addr
//            | loop.fill literal , buf         | loop.call @NAME ( buf , ... ) [attrs] -> ( buf , ... )
//            | %N = vec.load buf addr : type   | %N = vec.gather buf addr stride K : type | vec.store atom , buf addr
//            | %N = vec.splat atom : type      | %N = vec.reduce[comb] atom : type   | %N = vec.fma atom , atom , atom : type
//   buf    ::= %argI | %resI | %cstN | %bufN                                (N: the buffer's id)
//   addr   ::= [ offset ] | [ [offset +] term + ... ]    term ::= %N | stride*%N    comb ::= sum | prod | max | min
// A loop's body sees the values defined before it; its results are defined after it.

let private ops =
    "loop.for, loop.load, loop.store, loop.accumulate, loop.fill, loop.call, vec.load, vec.gather, vec.store, "
    + "vec.splat, vec.reduce, vec.fma, or lax. followed by an elementwise op"

let private showAll (avals: Aval list) = String.Join(", ", avals |> List.map typeText)

/// A lax op's result type on scalars, or lane by lane when an operand (or the result) is a vector.
let private lanewise (opTok: Token) (prim: Lax.Prim) (args: Atom list) (declared: Aval) : Aval =
    let avals = List.map Atom.aval args
    let width =
        match avals |> List.filter (fun a -> a.Shape.Length = 1) |> List.map (fun a -> a.Shape[0]) |> List.distinct with
        | [] -> if declared.Shape.Length = 1 then Some declared.Shape[0] else None
        | [ w ] -> Some w
        | _ -> failAt opTok $"expected vector operands of one width, found {showAll avals}"
    let scalar (a: Aval) = if a.Shape.Length = 1 then { a with Shape = [||]; Weak = false } else a
    match typeRule opTok prim (List.map scalar avals), width with
    | [ s ], None when s.Shape.Length = 0 -> s
    | [ s ], Some w when s.Shape.Length = 0 -> { s with Shape = [| w |]; Weak = false }
    | typed, _ -> failAt opTok $"expected an elementwise op, found {opTok.Text} giving {showAll typed} on {showAll avals}"

type private Parser(tokens: Token[]) =
    let r = Reader(tokens, laxSyntax)
    let scope = Scope()
    let buffers = Dictionary<string, Buffer * Token>()
    let ids = Dictionary<int, string>()
    let peek () = r.Peek()
    let next () = r.Next()
    let is (s: string) = r.Is s (peek ())
    let skip (s: string) (context: string) = r.Expect s context |> ignore
    let int (what: string) (styles: NumberStyles) : Token * int =
        let t = next ()
        match Int32.TryParse(t.Text, styles, CultureInfo.InvariantCulture) with
        | true, n when t.Kind = Number -> t, n
        | _ -> failAt t $"expected {what}, found {describe t}"
    let natural what = int what NumberStyles.None
    let signed what = int what NumberStyles.AllowLeadingSign

    /// `%argI`, `%resI`, `%cstN` or `%bufN`: the `%` token, the prefix and the number.
    let bufferName () : Token * string * int =
        let t = r.Expect "%" " to start a buffer name"
        let n = next ()
        let prefix = [ "arg"; "res"; "cst"; "buf" ] |> List.tryFind (fun p -> n.Text.StartsWith p)
        let number (p: string) = Int32.TryParse(n.Text.Substring p.Length, NumberStyles.None, CultureInfo.InvariantCulture)
        match prefix |> Option.map (fun p -> p, number p) with
        | Some(p, (true, k)) when n.Kind = Ident && n.Line = t.Line && n.Column = t.Column + 1 -> t, p, k
        | _ -> failAt n $"expected a buffer name (%%argI, %%resI, %%cstN or %%bufN), found {describe n}"
    let declare (t: Token, prefix: string, k: int) (b: Buffer) : Buffer =
        let name = $"%%{prefix}{k}"
        match buffers.TryGetValue name, ids.TryGetValue b.Id with
        | (true, (_, first)), _ -> failAt t $"'{name}' is declared twice (first at line {first.Line}, column {first.Column})"
        | _, (true, other) -> failAt t $"expected a buffer id no other buffer has, found {b.Id} (that of '{other}')"
        | _ ->
            buffers[name] <- (b, t)
            ids[b.Id] <- name
            b
    let buffer () : Token * Buffer =
        let t, prefix, k = bufferName ()
        match buffers.TryGetValue $"%%{prefix}{k}" with
        | true, (b, _) -> t, b
        | _ -> failAt t $"buffer '%%{prefix}{k}' is not declared"
    let dtypeOf (b: Buffer) = DType.shortName b.Aval.DType

    /// `%argI: type {id = N}` (or `%resI`), a buffer of the function's signature.
    let param (prefix: string) (kind: int -> BufferKind) () : Buffer =
        let (t, p, k) as name = bufferName ()
        if p <> prefix then failAt t $"expected a %%{prefix}I buffer, found '%%{p}{k}'"
        skip ":" " after the buffer's name"
        let aval = r.Type()
        skip "{" " to open the buffer's {id = N}"
        skip "id" " in the buffer's {id = N}"
        skip "=" " after 'id'"
        let _, id = natural "the buffer's id"
        skip "}" " to close the buffer's {id = N}"
        declare name { Id = id; Aval = aval; Kind = kind k }

    /// `%cstN = loop.const dense<[...]> : type`, `%bufN = loop.alloc {slot = S} : type` or
    /// `%bufN = loop.view %src[offset] : type`.
    let decl () : Buffer =
        let (t, p, k) as name = bufferName ()
        skip "=" " after the buffer's name"
        let op = next ()
        match p, op.Text with
        | "cst", "loop.const" ->
            let value = r.Dense "loop.const"
            declare name { Id = k; Aval = value.Aval; Kind = Const value }
        | "buf", "loop.alloc" ->
            skip "{" " to open the temp's {slot = S}"
            skip "slot" " in the temp's {slot = S}"
            skip "=" " after 'slot'"
            let _, slot = natural "the temp's slot"
            skip "}" " to close the temp's {slot = S}"
            skip ":" " before the temp's type"
            declare name { Id = k; Aval = r.Type(); Kind = Temp slot }
        | "buf", "loop.view" ->
            let at, source = buffer ()
            skip "[" " before the view's offset"
            let _, offset = natural "the view's offset"
            skip "]" " after the view's offset"
            skip ":" " before the view's type"
            let aval = r.Type()
            match source.Kind with
            | View _ -> failAt at $"expected a view of an argument, result, const or temp, found one of the view '{Buffer.name source}'"
            | Arg _ | Const _ | Temp _ | Result _ -> ()
            if not (Buffer.fitsInside source.Aval offset aval) then
                failAt t $"expected '%%buf{k}' ({typeText aval} at offset {offset}) to lie inside '{Buffer.name source}' ({typeText source.Aval})"
            declare name { Id = k; Aval = aval; Kind = View(source, offset) }
        | _ -> failAt t $"expected '%%cstN = loop.const', '%%bufN = loop.alloc' or '%%bufN = loop.view', found '%%{p}{k} = {op.Text}'"

    let atom () = r.Atom scope
    let atoms () =
        let xs = ResizeArray [ atom () ]
        while r.Comma() do xs.Add(atom ())
        List.ofSeq xs
    let define (name: Token * string) (aval: Aval) : Var =
        let v = Var.fresh aval
        r.Define scope name v
        v
    let typed () =
        skip ":" " before the result's type"
        r.Type()
    let check (t: Token, name: string) (expected: Aval) (found: Aval) (why: string) =
        if found <> expected then failAt t $"expected '%%{name}' to have type {typeText expected} ({why}), found {typeText found}"
    let combiner () =
        skip "[" " before the combiner"
        let t = next ()
        let c = [ Sum; Prod; Combiner.Max; Combiner.Min ] |> List.tryFind (fun c -> Combiner.name c = t.Text)
        skip "]" " after the combiner"
        match c with
        | Some c -> c
        | None -> failAt t $"expected a combiner (sum, prod, max or min), found {describe t}"

    /// `[offset + stride*%N + ...]`: the offset first, if any; each %N an i32[] index.
    let addr () : Addr =
        skip "[" " to open the address"
        let terms = ResizeArray<Var * int>()
        let term () =
            let stride = if (peek ()).Kind = Number then (let _, s = signed "a stride" in skip "*" " after the stride"; s) else 1
            let at = peek ()
            match atom () with
            | Var v when v.Aval = Aval.scalar I32 -> terms.Add((v, stride))
            | a -> failAt at $"expected an i32[] index in the address, found one of type {typeText (Atom.aval a)}"
        let offset = if (peek ()).Kind = Number && not (r.Is "*" (r.PeekAt 1)) then snd (signed "the address's offset") else (term (); 0)
        while is "+" do
            next () |> ignore
            term ()
        skip "]" " to close the address"
        { Offset = offset; Terms = List.ofSeq terms }

    /// `atom, buf addr` of a store or accumulate, checked against the buffer.
    let target (vector: bool) : Atom * Buffer * Addr =
        let vt = peek ()
        let v = atom ()
        skip "," " after the stored value"
        let _, b = buffer ()
        let a = addr ()
        let aval = Atom.aval v
        if aval.DType <> b.Aval.DType || not (aval.Shape.Length = 0 || (vector && aval.Shape.Length = 1)) then
            let what = if vector then "vector or scalar" else "scalar"
            failAt vt $"expected a {what} of {Buffer.name b}'s dtype {dtypeOf b}, found {typeText aval}"
        v, b, a

    /// A block's statements up to its `}` (not read), and its `loop.yield` values.
    member p.Block(depth: int) : VecStmt list * (Token * Atom list) option =
        let stmts = ResizeArray<VecStmt>()
        while not (is "}" || is "loop.yield") do
            if (peek ()).Kind = End then failAt (peek ()) "expected a statement or '}', found end of input"
            stmts.Add(p.Stmt depth)
        let yields = if is "loop.yield" then (let t = next () in Some(t, (if is "}" then [] else atoms ()))) else None
        List.ofSeq stmts, yields

    member p.Stmt(depth: int) : VecStmt =
        let results = ResizeArray<Token * string>()
        if is "%" then
            results.Add(r.Name())
            while r.Comma() do results.Add(r.Name())
            skip "=" " after the statement's results"
        let opTok = next ()
        let one () =
            if results.Count <> 1 then failAt opTok $"expected {opTok.Text} to define one value, found {results.Count}"
            results[0]
        let none () = if results.Count > 0 then failAt (fst results[0]) $"expected no results for {opTok.Text}, found {results.Count}"
        match (if opTok.Kind = Ident then opTok.Text else "") with
        | "loop.for" -> p.For opTok (List.ofSeq results) depth
        | "loop.load" ->
            let name = one ()
            let _, b = buffer ()
            let a = addr ()
            let aval = typed ()
            if aval.Shape.Length <> 0 || aval.DType <> b.Aval.DType then
                failAt (fst name) $"expected '%%{snd name}' to have a scalar type of {Buffer.name b}'s dtype {dtypeOf b}, found {typeText aval}"
            Load(define name aval, b, a)
        | "loop.store" | "vec.store" ->
            none ()
            let v, b, a = target (opTok.Text = "vec.store")
            if opTok.Text = "vec.store" then Ext(VStore(b, a, v)) else Store(b, a, v)
        | "loop.accumulate" ->
            none ()
            let c = combiner ()
            let v, b, a = target false
            Accum(b, a, c, v)
        | "loop.fill" ->
            none ()
            let t = peek ()
            let v = atom ()
            skip "," " after the fill value"
            let _, b = buffer ()
            match v with
            | Lit x when x.Aval.DType = b.Aval.DType -> Fill(b, x)
            | _ -> failAt t $"expected a literal of {Buffer.name b}'s dtype {dtypeOf b}, found {typeText (Atom.aval v)}"
        | "loop.call" ->
            none ()
            skip "@" " before the callee"
            let callee = next ()
            let takes, build =
                match builderOf.TryGetValue callee.Text with
                | true, rule when callee.Kind = Ident -> rule
                | _ -> failAt callee $"expected a lax op to call ({supported}), found {describe callee}"
            skip "(" " to open the call's inputs"
            let ins = r.Items ")" "the call's inputs" (buffer >> snd)
            next () |> ignore
            let prim = build (Args(callee, takes, r.Attrs 1))
            skip "-" " before the call's outputs ('->')"
            skip ">" " in '->'"
            skip "(" " to open the call's outputs"
            let outs = r.Items ")" "the call's outputs" buffer
            next () |> ignore
            let avals = ins |> List.map (fun b -> b.Aval)
            let typed = typeRule callee prim avals
            if typed.Length <> outs.Length then failAt callee $"expected {typed.Length} output(s) ({showAll typed}), found {outs.Length}"
            for (t, b), aval in List.zip outs typed do
                if b.Aval <> aval then failAt t $"expected '{Buffer.name b}' to have type {typeText aval} ({callee.Text} of {showAll avals}), found {typeText b.Aval}"
            Call(prim, ins, List.map snd outs)
        | "vec.load" | "vec.gather" ->
            let name = one ()
            let _, b = buffer ()
            let a = addr ()
            let stride = if opTok.Text = "vec.gather" then (skip "stride" " after the gather's address"; snd (signed "the gather's stride")) else 0
            let aval = typed ()
            check name (Aval.make b.Aval.DType [| width b.Aval.DType |]) aval $"{opTok.Text} of {Buffer.name b}: {typeText b.Aval}"
            let dst = define name aval
            Ext(if opTok.Text = "vec.gather" then VGather(dst, b, a, stride) else VLoad(dst, b, a))
        | "vec.splat" ->
            let name = one ()
            let t = peek ()
            let v = atom ()
            let x, aval = Atom.aval v, typed ()
            if x.Shape.Length <> 0 then failAt t $"expected a scalar to splat, found {typeText x}"
            if aval.Shape.Length <> 1 || aval.Shape[0] < 1 || aval.Weak || aval.DType <> x.DType then
                failAt (fst name) $"expected '%%{snd name}' to have a vector type of {DType.shortName x.DType} (such as {typeText (Aval.make x.DType [| width x.DType |])}), found {typeText aval}"
            Ext(VSplat(define name aval, v))
        | "vec.fma" ->
            let name = one ()
            let t = peek ()
            let args = atoms ()
            let aval = typed ()
            match args with
            | [ a; b; c ] ->
                if not (DType.isFloat aval.DType) || aval.Shape.Length <> 1 then
                    failAt (fst name) $"expected '%%{snd name}' to have a float vector type, found {typeText aval}"
                if not (List.forall (fmaOperand aval) args) then
                    failAt (fst name) $"expected the operands of '%%{snd name}' to be {typeText aval} vectors or {DType.shortName aval.DType} literals, found {showAll (List.map Atom.aval args)}"
                Ext(VFma(define name aval, a, b, c))
            | _ -> failAt t $"expected three operands of vec.fma (a, b, c: a * b + c), found {args.Length}"
        | "vec.reduce" ->
            let name = one ()
            let c = combiner ()
            let t = peek ()
            let v = atom ()
            let x, aval = Atom.aval v, typed ()
            if x.Shape.Length <> 1 then failAt t $"expected a vector to reduce, found {typeText x}"
            check name (Aval.scalar x.DType) aval $"vec.reduce of {typeText x}"
            Ext(VReduce(define name aval, c, v))
        | op when op.StartsWith "lax." ->
            let name = one ()
            let takes, build =
                match builderOf.TryGetValue(op.Substring 4) with
                | true, rule -> rule
                | _ -> failAt opTok $"unknown op {describe opTok} (supported: {ops})"
            let args = if is "{" || is ":" then [] else atoms ()
            let prim = build (Args(opTok, takes, r.Attrs 1))
            let declared = typed ()
            check name (lanewise opTok prim args declared) declared $"{op} of {showAll (List.map Atom.aval args)}"
            Compute(define name declared, prim, args)
        | _ -> failAt opTok $"expected an op ({ops}), found {describe opTok}"

    /// `loop.for %N = lo to hi step s [parallel] [iter_args(...) -> (...)] : i32[] { ... }`
    member p.For (opTok: Token) (results: (Token * string) list) (depth: int) : VecStmt =
        if depth >= maxDepth then failAt opTok $"loops nest deeper than {maxDepth}"
        let ivName = r.Name()
        skip "=" " after the induction variable"
        let _, lo = signed "the loop's lower bound"
        skip "to" " after the lower bound"
        let _, hi = signed "the loop's upper bound"
        skip "step" " after the upper bound"
        let stepTok, step = signed "the loop's step"
        if step <= 0 then failAt stepTok $"expected a positive step, found {step}"
        let par = is "parallel"
        if par then next () |> ignore
        let carried =
            if is "iter_args" then
                next () |> ignore
                skip "(" " after 'iter_args'"
                let inits = r.Items ")" "the iter_args" (fun () -> let n = r.Name() in skip "=" " after the carried value's name"; n, peek (), atom ())
                next () |> ignore
                skip "-" " before the carried types ('->')"
                skip ">" " in '->'"
                skip "(" " to open the carried types"
                let types = r.Items ")" "the carried types" (fun () -> peek (), r.Type())
                next () |> ignore
                if types.Length <> inits.Length then failAt opTok $"expected {inits.Length} carried type(s), found {types.Length}"
                List.zip inits types
            else []
        skip ":" " before the induction variable's type"
        let ivTok = peek ()
        let ivAval = r.Type()
        if ivAval <> Aval.scalar I32 then failAt ivTok $"expected the induction variable's type i32[], found {typeText ivAval}"
        if results.Length <> carried.Length then
            failAt opTok $"expected as many results as carried values ({carried.Length}), found {results.Length}"
        for (_, initTok, init), (typeTok, aval) in carried do
            let x = Atom.aval init
            if aval.Shape.Length > 1 then failAt typeTok $"expected a scalar or vector type for a carried value, found {typeText aval}"
            if x.DType <> aval.DType || (x.Shape.Length <> 0 && x.Shape <> aval.Shape) then
                failAt initTok $"expected an initial value of type {typeText aval} (or a scalar to splat), found {typeText x}"
        skip "{" " to open the loop's body"
        let outer = HashSet<string>(scope.Keys)
        let iv = define ivName ivAval
        let vars = carried |> List.map (fun ((name, _, _), (_, aval)) -> define name aval)
        let body, yields = p.Block(depth + 1)
        let yieldTok, yields = defaultArg yields (peek (), [])
        if yields.Length <> vars.Length then failAt yieldTok $"expected {vars.Length} yielded value(s), one per carried value, found {yields.Length}"
        for v, y in List.zip vars yields do
            let a = Atom.aval y
            if a.DType <> v.Aval.DType || a.Shape <> v.Aval.Shape then
                failAt yieldTok $"expected yielded values of types {showAll (vars |> List.map (fun v -> v.Aval))}, found {typeText a}"
        for name in List.ofSeq scope.Keys do
            if not (outer.Contains name) then scope.Remove name |> ignore
        skip "}" " to close the loop's body"
        For { Iv = iv; Lo = lo; Hi = hi; Step = step; Parallel = par; Carried = List.zip vars (carried |> List.map (fun ((_, _, a), _) -> a))
              Body = body; Yield = yields; Results = List.map2 (fun name (v: Var) -> define name v.Aval) results vars }

    /// `loop.func @main(params) -> (params) { decls stmts }`
    member p.Func() : VecProgram =
        skip "loop.func" ""
        skip "@" " before the function's name"
        let name = next ()
        if name.Kind <> Ident then failAt name $"expected the function's name, found {describe name}"
        skip "(" " to open the arguments"
        let args = r.Items ")" "the arguments" (param "arg" Arg)
        next () |> ignore
        skip "-" " before the results ('->')"
        skip ">" " in '->'"
        skip "(" " to open the results"
        let results = r.Items ")" "the results" (param "res" Result)
        next () |> ignore
        skip "{" " to open the function's body"
        let decls = ResizeArray<Buffer>()
        while is "%" && (r.PeekAt 1).Kind = Ident do
            decls.Add(decl ())
        let body, yields = p.Block 0
        match yields with
        | Some(t, _) -> failAt t "expected a statement or '}', found 'loop.yield' outside a loop"
        | None -> ()
        skip "}" " to close the function"
        if (peek ()).Kind <> End then failAt (peek ()) $"expected end of input after the function, found {describe (peek ())}"
        let consts, temps = decls |> List.ofSeq |> List.partition (fun b -> match b.Kind with Const _ -> true | Arg _ | Result _ | Temp _ | View _ -> false)
        { Args = args; Consts = consts; Temps = temps; Results = results; Body = body }

/// The loop- or vec-stage program the generic text spells; never throws.
let parse (text: string) : Result<VecProgram, LaxParse.ParseError> =
    try Ok(Parser(lex text).Func())
    with
    | Failed e -> Error e
    | e -> Error { Line = 1; Column = 1; Message = $"internal error of the loop reader (please report): {e.GetType().Name}: {e.Message}" }

/// The program in generic form (Vec.print; one printer for both stages).
let print (p: VecProgram) : string = Vec.print p
