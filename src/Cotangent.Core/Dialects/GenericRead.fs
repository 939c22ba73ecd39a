/// The reader of the generic form (GenericForm.fs has its grammar and printer): tokens of an
/// MLIR-like text to a closed program of any dialect whose regions are lax jaxprs, each value
/// bound once in its scope. Takes the text and the dialects' GenericSyntax; returns the program
/// or a ParseError at a 1-based line and column. Guarantees: never throws, always ends (nesting
/// is capped at `maxDepth`), and op results have exactly the types their dialect's rule gives.
module Cotangent.Core.Dialects.GenericRead

open System
open System.Collections.Generic
open System.Globalization
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.LaxTokens
open Cotangent.Core.Dialects.GenericForm

/// Regions and attribute values nest at most this deep, so that no input exhausts the stack.
let internal maxDepth = 64

type internal Scope = Dictionary<string, Var * Token>

type internal Reader(tokens: Token[], lax: GenericSyntax<Prim>) =
    let mutable pos = 0
    let peekAt k = tokens[min (pos + k) (tokens.Length - 1)]
    let peek () = peekAt 0
    let next () =
        let t = tokens[pos]
        if pos < tokens.Length - 1 then pos <- pos + 1
        t
    let is (s: string) (t: Token) = t.Kind <> End && t.Kind <> Str && t.Text = s
    let expect (s: string) (context: string) =
        let t = peek ()
        if is s t then next () else failAt t $"expected '{s}'{context}, found {describe t}"
    // defines[k]: `% N` at token k may be a definition (an arg `%N :` or a result `%N, ... =`);
    // for "used before its definition"
    let defines = Array.create (tokens.Length + 3) false
    do
        for k in tokens.Length - 3 .. -1 .. 0 do
            let after = tokens[k + 2]
            defines[k] <- is "%" tokens[k] && (is "=" after || is ":" after || (is "," after && defines[k + 3]))
    let comma () = if is "," (peek ()) then next () |> ignore; true else false
    /// `item, item, ...` up to `close` (not read).
    let items (close: string) (what: string) (item: unit -> 'a) : 'a list =
        let xs = ResizeArray<'a>()
        while not (is close (peek ())) do
            xs.Add(item ())
            if not (comma ()) && not (is close (peek ())) then failAt (peek ()) $"expected ',' or '{close}' in {what}, found {describe (peek ())}"
        List.ofSeq xs

    // the cursor, for the readers of other dialects' generic text (LoopText)
    member _.Peek() = peek ()
    member _.PeekAt(k: int) = peekAt k
    member _.Next() = next ()
    member _.Is (s: string) (t: Token) = is s t
    member _.Expect (s: string) (context: string) = expect s context
    member _.Comma() = comma ()
    member _.Items (close: string) (what: string) (item: unit -> 'a) : 'a list = items close what item

    /// `%N`: the name token (the `%`) and the name.
    member _.Name() : Token * string =
        let t = expect "%" " to start a value name"
        let n = next ()
        if n.Kind <> Number || not (n.Text |> Seq.forall Char.IsAsciiDigit) || n.Column <> t.Column + 1 || n.Line <> t.Line then
            failAt n $"expected a value number after '%%', found {describe n}"
        t, n.Text

    /// `f32[3]`, `f32[]{weak}`
    member _.Type() : Aval =
        let t = next ()
        let dtype =
            match DType.all |> List.tryFind (fun d -> DType.shortName d = t.Text) with
            | Some d when t.Kind = Ident -> d
            | _ when t.Kind = Ident -> failAt t $"unsupported dtype '{t.Text}' (supported: bool, i32, u32, f32, f64)"
            | _ -> failAt t $"expected a type such as f32[3], found {describe t}"
        expect "[" $" after the dtype {t.Text}" |> ignore
        let dims =
            items "]" "the shape" (fun () ->
                let d = next ()
                match Int32.TryParse(d.Text, NumberStyles.None, CultureInfo.InvariantCulture) with
                | true, n when d.Kind = Number -> n
                | _ -> failAt d $"expected a dimension size, found {describe d}")
        next () |> ignore
        let weak = is "{" (peek ()) && is "weak" (peekAt 1)
        if weak then
            next () |> ignore
            next () |> ignore
            expect "}" " after 'weak'" |> ignore
        { Shape = Array.ofList dims; DType = dtype; Weak = weak }

    member _.Define (scope: Scope) (t: Token, name: string) (v: Var) =
        match scope.TryGetValue name with
        | true, (_, first) -> failAt t $"'%%{name}' is defined twice (first at line {first.Line}, column {first.Column})"
        | _ -> scope[name] <- (v, t)

    /// `elem, ...` read at `dtype` into an array of `shape`.
    member _.Elems (dtype: DType) (shape: int[]) (weak: bool) (ts: Token list) : NdArray =
        let fail (t: Token) = failAt t $"expected a {DType.name dtype} value, found {describe t}"
        let floating (t: Token) (parse: string -> 'a option) (inf: 'a) (ninf: 'a) (nan: 'a) =
            match t.Text with
            | "inf" -> inf
            | "-inf" -> ninf
            | "nan" -> nan
            | s when t.Kind = Number -> (match parse s with Some x -> x | None -> fail t)
            | _ -> fail t
        let integral (t: Token) (parse: string -> bool * 'a) =
            match parse t.Text with
            | true, x when t.Kind = Number -> x
            | _ -> fail t
        let inv = CultureInfo.InvariantCulture
        let f32 (s: string) = match Single.TryParse(s, NumberStyles.Float, inv) with | true, x -> Some x | _ -> None
        let f64 (s: string) = match Double.TryParse(s, NumberStyles.Float, inv) with | true, x -> Some x | _ -> None
        let ts = Array.ofList ts
        let data =
            match dtype with
            | Bool -> BoolData(ts |> Array.map (fun t -> match t.Text with "true" when t.Kind = Ident -> true | "false" when t.Kind = Ident -> false | _ -> fail t))
            | I32 -> I32Data(ts |> Array.map (fun t -> integral t (fun s -> Int32.TryParse(s, NumberStyles.AllowLeadingSign, inv))))
            | U32 -> U32Data(ts |> Array.map (fun t -> integral t (fun s -> UInt32.TryParse(s, NumberStyles.None, inv))))
            | F32 -> F32Data(ts |> Array.map (fun t -> floating t f32 Single.PositiveInfinity Single.NegativeInfinity Single.NaN))
            | F64 -> F64Data(ts |> Array.map (fun t -> floating t f64 Double.PositiveInfinity Double.NegativeInfinity Double.NaN))
        NdArray.create weak shape data

    /// A value name in scope, or a scalar literal `elem:type`.
    member r.Atom(scope: Scope) : Atom =
        let t = peek ()
        if is "%" t then
            let at, name = r.Name()
            match scope.TryGetValue name with
            | true, (v, _) -> Var v
            | _ ->
                let later = seq { pos - 1 .. tokens.Length - 3 } |> Seq.tryFind (fun k -> defines[k] && tokens[k + 1].Text = name)
                match later with
                | Some k -> failAt at $"'%%{name}' is used before its definition at line {tokens[k].Line}, column {tokens[k].Column}"
                | None -> failAt at $"'%%{name}' is not defined"
        elif t.Kind = Number || (t.Kind = Ident && List.contains t.Text [ "true"; "false"; "inf"; "nan" ]) then
            next () |> ignore
            expect ":" $" after the literal {t.Text} (literals are typed: 1.0:f32[])" |> ignore
            let aval = r.Type()
            if aval.Shape.Length <> 0 then failAt t $"expected a scalar literal, found one of type {Aval.str aval}"
            Lit(r.Elems aval.DType [||] aval.Weak [ t ])
        else failAt t $"expected an operand (%%N or a typed literal), found {describe t}"

    /// An attribute value as the Python value LaxTokens' param builders read.
    member r.Attr(depth: int) : Py =
        let t = next ()
        if depth > maxDepth then failAt t $"attribute values nest deeper than {maxDepth}"
        match t.Kind, t.Text with
        | Number, s ->
            match Int32.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) with
            | true, n -> PyInt n
            | _ -> failAt t $"expected an integer attribute, found {describe t}"
        | Ident, "true" -> PyName "True"
        | Ident, "false" -> PyName "False"
        | Ident, "none" -> PyName "None"
        | Ident, s when DType.all |> List.exists (fun d -> DType.shortName d = s) ->
            PyName(DType.all |> List.find (fun d -> DType.shortName d = s) |> DType.name)
        | Str, s when s.Length >= 2 && s[0] = '"' && s[s.Length - 1] = '"' -> PyName(s.Substring(1, s.Length - 2))
        | Punct, "[" ->
            let xs = items "]" "the list" (fun () -> r.Attr(depth + 1))
            next () |> ignore
            PySeq xs
        | _ -> failAt t $"expected an attribute value (an integer, a list, true, false, none, a dtype or a string), found {describe t}"

    /// `{key = attr, ...}` if one follows: each key, its value's token and the value.
    member r.Attrs(depth: int) : (Token * Token * Py) list =
        let given = ResizeArray<Token * Token * Py>()
        if is "{" (peek ()) then
            next () |> ignore
            while not (is "}" (peek ())) do
                let key = next ()
                if key.Kind <> Ident then failAt key $"expected an attribute name or '}}', found {describe key}"
                expect "=" $" after attribute '{key.Text}'" |> ignore
                if given |> Seq.exists (fun (k, _, _) -> k.Text = key.Text) then failAt key $"attribute '{key.Text}' is given twice"
                given.Add(key, peek (), r.Attr depth)
                if not (comma ()) && not (is "}" (peek ())) then failAt (peek ()) $"expected ',' or '}}' in the attributes, found {describe (peek ())}"
            next () |> ignore
        List.ofSeq given

    /// `dense<[elem, ...]> : type` after the constant op `op`: the value, read at the type's dtype.
    member r.Dense(op: string) : NdArray =
        expect "dense" $" after {op}" |> ignore
        expect "<" " after 'dense'" |> ignore
        expect "[" " to open the constant's elements" |> ignore
        let ts = items "]" "the elements" next
        next () |> ignore
        expect ">" " to close 'dense<'" |> ignore
        let colon = expect ":" " before the constant's type"
        let aval = r.Type()
        if ts.Length <> Aval.size aval then failAt colon $"expected {Aval.size aval} element(s) for type {typeText aval}, found {ts.Length}"
        r.Elems aval.DType aval.Shape aval.Weak ts

    /// `[%N, ... =] NAME operands [{attrs}] [(region)] [: types]`, typed by the dialect's rule.
    member r.Op<'op> (syntax: GenericSyntax<'op>) (scope: Scope) (depth: int) : Eqn<'op> =
        let outs = ResizeArray<Token * string>()
        if is "%" (peek ()) then
            outs.Add(r.Name())
            while comma () do outs.Add(r.Name())
            expect "=" " after the op's results" |> ignore
        let opTok = next ()
        if not (opTok.Kind = Ident && syntax.Knows opTok.Text) then failAt opTok $"unknown op {describe opTok} (supported: {syntax.Supported})"
        let inputs = ResizeArray<Atom>()
        let startsAtom () = let t = peek () in is "%" t || t.Kind = Number || (t.Kind = Ident && List.contains t.Text [ "true"; "false"; "inf"; "nan" ])
        if startsAtom () then
            inputs.Add(r.Atom scope)
            while comma () do inputs.Add(r.Atom scope)
        let given = r.Attrs(depth + 1)
        let regions =
            if is "(" (peek ()) then
                let paren = next ()
                let region = r.Region(depth + 1)
                if is "," (peek ()) then failAt (peek ()) "expected one region, found a second"
                expect ")" " to close the regions" |> ignore
                [ paren, region ]
            else []
        let op, resultTypes = syntax.Read { Name = opTok; Attrs = given; Regions = regions }
        let declared = ResizeArray<Aval>()
        if is ":" (peek ()) then
            next () |> ignore
            declared.Add(r.Type())
            while comma () do declared.Add(r.Type())
        let avals = List.ofSeq inputs |> List.map Atom.aval
        let typed = resultTypes avals (List.ofSeq declared)
        if typed.Length <> outs.Count || declared.Count <> outs.Count then
            failAt (if outs.Count > 0 then fst outs[0] else opTok) $"expected {typed.Length} result(s) ({show typed}: {opTok.Text} of {show avals}), found {outs.Count} named and {declared.Count} typed"
        let vars =
            List.zip3 (List.ofSeq outs) (List.ofSeq declared) typed
            |> List.map (fun (out, d, rule) ->
                if d <> rule then
                    failAt (fst out) $"expected '%%{snd out}' to have type {typeText rule} ({opTok.Text} of {show avals}), found {typeText d}"
                let v = Var.fresh d
                r.Define scope out v
                v)
        { Op = op; Inputs = List.ofSeq inputs; Outs = vars; Source = None }

    /// `(%N: type, ...)`, bound in `scope`.
    member r.Args(scope: Scope) : Var list =
        expect "(" " to open the arguments" |> ignore
        let args =
            items ")" "the arguments" (fun () ->
                let name = r.Name()
                expect ":" " after the argument's name" |> ignore
                let v = Var.fresh (r.Type())
                r.Define scope name v
                v)
        next () |> ignore
        args

    /// consts, ops, `lax.return atoms`: the block of a func or region whose args are `invars`.
    member r.Body<'op> (syntax: GenericSyntax<'op>) (scope: Scope) (invars: Var list) (depth: int) : ClosedJaxpr<'op> =
        let constvars, consts, eqns = ResizeArray<Var>(), ResizeArray<NdArray>(), ResizeArray<Eqn<'op>>()
        while not (is "lax.return" (peek ())) do
            if is "%" (peek ()) && is "=" (peekAt 2) && is "lax.constant" (peekAt 3) then
                let name = r.Name()
                next () |> ignore
                next () |> ignore
                let value = r.Dense "lax.constant"
                let v = Var.fresh value.Aval
                r.Define scope name v
                constvars.Add v
                consts.Add value
            elif (peek ()).Kind = End then failAt (peek ()) "expected an op or 'lax.return', found end of input"
            else eqns.Add(r.Op syntax scope depth)
        next () |> ignore
        let outs = ResizeArray<Atom>()
        if not (is "}" (peek ())) then
            outs.Add(r.Atom scope)
            while comma () do outs.Add(r.Atom scope)
        { Jaxpr = { ConstVars = List.ofSeq constvars; InVars = invars; Eqns = List.ofSeq eqns; OutVars = List.ofSeq outs }
          Consts = List.ofSeq consts }

    /// `{ ^region(args): body }`, with a scope of its own.
    member r.Region(depth: int) : ClosedJaxpr<Prim> =
        if depth > maxDepth then failAt (peek ()) $"regions nest deeper than {maxDepth}"
        expect "{" " to open a region" |> ignore
        expect "^" " to start the region's arguments" |> ignore
        expect "region" " after '^'" |> ignore
        let scope = Scope()
        let invars = r.Args scope
        expect ":" " after the region's arguments" |> ignore
        let body = r.Body lax scope invars depth
        expect "}" " to close the region" |> ignore
        body

    /// `lax.func @main(args) -> (types) { body }` (the func keyword `syntax`'s)
    member r.Func<'op>(syntax: GenericSyntax<'op>) : ClosedJaxpr<'op> =
        expect syntax.Func "" |> ignore
        expect "@" " before the function's name" |> ignore
        let name = next ()
        if name.Kind <> Ident then failAt name $"expected the function's name, found {describe name}"
        let scope = Scope()
        let invars = r.Args scope
        expect "-" " before the result types ('->')" |> ignore
        expect ">" " in '->'" |> ignore
        expect "(" " to open the result types" |> ignore
        let results = items ")" "the result types" (fun () -> peek (), r.Type())
        next () |> ignore
        expect "{" " to open the function's body" |> ignore
        let ret = peek ()
        let body = r.Body syntax scope invars 0
        let returned = body.Jaxpr.OutVars |> List.map Atom.aval
        if returned.Length <> results.Length then failAt ret $"expected {results.Length} returned value(s), as the signature says, found {returned.Length}"
        for (t, declared), actual in Seq.zip results returned do
            if declared <> actual then failAt t $"expected the result type {typeText actual}, the returned value's, found {typeText declared}"
        expect "}" " to close the function" |> ignore
        let t = peek ()
        if t.Kind <> End then failAt t $"expected end of input after the function, found {describe t}"
        body

/// The closed program of the dialect `syntax` that the generic text spells; never throws.
let internal parseWith (lax: GenericSyntax<Prim>) (syntax: GenericSyntax<'op>) (text: string) : Result<ClosedJaxpr<'op>, LaxParse.ParseError> =
    try Ok(Reader(lex text, lax).Func syntax)
    with
    | Failed e -> Error e
    | e -> Error { Line = 1; Column = 1; Message = $"internal error of the generic reader (please report): {e.GetType().Name}: {e.Message}" }
