/// The lax dialect's text reader: parses the jaxpr text JAX's make_jaxpr prints (and LaxText.print
/// prints) into a jaxpr of Prim, checking every equation with LaxTypes.abstractEval.
/// Accepts: any whitespace between tokens (`;` between equations optional), params in any order,
/// params JAX prints that Cotangent does not model (`ignoredParams`), regions
/// (`pjit[name=f jaxpr={ lambda ... }]`), and both literal spellings: bare (`2.0`, `2`, `True`:
/// the dtype comes from the equation, see `literalDType`) and typed (`2.0:f32[]`).
/// Literals are weak (Python scalars, as JAX makes them), except a float32 whose text is the
/// float32 spelling and not the weak one (`0.1`, which LaxText prints for a strong literal).
/// Binders carry no weak flag (JAX prints none): an output takes its type rule's, an input is strong.
/// Names are scoped per jaxpr (a region sees only its own binders) and map to fresh Vars.
/// A bare float literal with no typed operand beside it (`in (0.0,)`) takes the jaxpr's float dtype:
/// that of its first float input (float64 in an x64 jaxpr), else float32.
/// Guarantees: `parse` and `parseOpen` never throw and always end (nesting is capped at 64 deep);
/// an error carries the 1-based line and column of the offending token (the end of the text when
/// it is truncated) and says what was expected and what was found. print (parse (print j)) =
/// print j, with the same values, for the jaxprs tracing builds (JaxprReaderTests).
module Cotangent.Core.Dialects.LaxParse

open System
open System.Collections.Generic
open System.Globalization
open Cotangent.Core
open Cotangent.Core.Dialects.Lax

open Cotangent.Core.Dialects.LaxTokens

/// Where the text is wrong (1-based), and what was expected and found there.
type ParseError = LaxTokens.ParseError

/// parseOrFail's error: a user error whose message is "line L, column C: what went wrong".
type JaxprParseException(error: ParseError) =
    inherit CotangentException("", $"line {error.Line}, column {error.Column}: {error.Message}", None)
    member _.Error = error
    member _.Line = error.Line
    member _.Column = error.Column

// ---------------------------------------------------------------------------------------------
// Literals.

/// The dtype of a bare literal at operand `i`: that of a typed operand in its dtype group (the
/// operands the type rule makes agree), else the output's where the rule keeps the dtype, else
/// None (the spelling decides: `2.0` is float32, `2` int32, `True` bool).
let private literalDType (prim: Prim) (i: int) (operands: DType option list) (outs: DType list) : DType option =
    let like (group: int -> bool) (fallback: DType option) =
        operands |> List.indexed |> List.tryPick (fun (j, d) -> if group j then d else None) |> Option.orElse fallback
    let all (_: int) = true
    let out = List.tryHead outs
    match prim with
    | Neg | Sign | Floor | Ceil | Round _ | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh | Logistic | Sqrt
    | Rsqrt | Abs | IntegerPow _ | Not | Pow | Add | Sub | Mul | Div | Rem | Max | Min | Atan2 | And | Or | AddAny
    | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _ | ReduceMin _
    | ReduceProd _ | Cumsum _ | Slice _ | Concatenate _ | Pad _ | Rev _ | StopGradient -> like all out
    | IsFinite | Eq | Ne | Lt | Le | Gt | Ge | ConvertElementType _ | Argmax _ | Argmin _ -> like all None
    | SelectN -> if i = 0 then None else like (fun j -> j > 0) out
    | DotGeneral(_, pref) -> like all (if pref.IsNone then out else None)
    | DynamicSlice _ -> if i = 0 then out else like (fun j -> j > 0) (Some I32)
    | DynamicUpdateSlice -> if i < 2 then like (fun j -> j < 2) out else like (fun j -> j >= 2) (Some I32)
    | Iota _ -> None
    | Pjit(_, closed) | Scan { Jaxpr = closed } -> closed.Jaxpr.InVars |> List.tryItem i |> Option.map (fun v -> v.Aval.DType)

/// The scalar a literal token spells, at `dtype` when its spelling allows (an int spelling is
/// any numeric dtype; a float spelling a float dtype), else at the spelling's own dtype: bool,
/// int32, or the jaxpr's float dtype `floats` (its first float input's: float64 under x64).
let private literal (floats: DType) (t: Token) (dtype: DType option) (explicitType: bool) : NdArray =
    let isBool = t.Text = "True" || t.Text = "False"
    let isInt = t.Kind = Number && t.Text |> Seq.forall (fun c -> Char.IsAsciiDigit c || c = '-')
    let own = if isBool then Bool elif isInt then I32 else floats
    let dtype =
        match dtype with
        | Some d when (isBool && d = Bool) || (isInt && d <> Bool) || (not isBool && DType.isFloat d) -> d
        | Some d when explicitType -> failAt t $"expected a {DType.name d} literal, found '{t.Text}'"
        | Some _ | None -> own
    let value =
        if isBool then (if t.Text = "True" then 1.0 else 0.0)
        elif isInt then
            match Int64.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) with
            | true, n when (dtype <> I32 || (n >= int64 Int32.MinValue && n <= int64 Int32.MaxValue)) && (dtype <> U32 || (n >= 0L && n <= int64 UInt32.MaxValue)) -> float n
            | _ -> failAt t $"expected a {DType.name dtype} literal, found '{t.Text}', which is out of its range"
        else
            match t.Text.TrimStart '-' with
            | "inf" -> if t.Text.StartsWith "-" then -infinity else infinity
            | "nan" -> nan
            | _ -> Double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture)
    let strongSpelling = dtype = F32 && LaxText.literalText (NdArray.scalar F32 false value) = t.Text
    let weakSpelling = LaxText.literalText (NdArray.scalar dtype true value) = t.Text
    NdArray.scalar dtype (weakSpelling || not strongSpelling) value

type private RawAtom =
    | AVar of Var
    | ALit of Token * explicitType: Aval option

// ---------------------------------------------------------------------------------------------
// The parser: recursive descent over the tokens, one member per rule of the grammar (Core.fs).

/// Regions and param values nest at most this deep, so that no input exhausts the stack.
let private maxDepth = 64

type private Reader(tokens: Token[]) =
    let mutable pos = 0
    // the first binder of each name anywhere in the text, for "used before its definition"
    let firstBinder = Dictionary<string, int>()
    do
        for k in tokens.Length - 2 .. -1 .. 0 do
            if tokens[k].Kind = Ident && tokens[k + 1].Text = ":" && tokens[k + 1].Kind = Punct then firstBinder[tokens[k].Text] <- k
    let peekAt k = tokens[min (pos + k) (tokens.Length - 1)]
    let peek () = peekAt 0
    let next () =
        let t = tokens[pos]
        if pos < tokens.Length - 1 then pos <- pos + 1
        t
    let is (s: string) (t: Token) = (t.Kind = Punct || t.Kind = Ident) && t.Text = s
    let expect (s: string) (context: string) =
        let t = peek ()
        if is s t then next () else failAt t $"expected '{s}'{context}, found {describe t}"
    // startsOutputs[k]: `name:type ... name:type =` starts at token k (an equation's outputs)
    let startsOutputs =
        let n = tokens.Length
        let nextClose = Array.create n (n - 1)
        for k in n - 2 .. -1 .. 0 do
            nextClose[k] <- if is "]" tokens[k] then k else nextClose[k + 1]
        let starts = Array.create n false
        for k in n - 2 .. -1 .. 0 do
            starts[k] <-
                if tokens[k].Kind = Ident && is ":" tokens[k + 1] then starts[min (nextClose[min (k + 2) (n - 1)] + 1) (n - 1)]
                else is "=" tokens[k]
        starts
    let startsBinder () = (peek ()).Kind = Ident && is ":" (peekAt 1)

    member val FirstConstVar : Token option = None with get, set

    /// `f32[3,4]`
    member _.Type() : Aval =
        let t = next ()
        let dtype =
            match t.Text with
            | "bool" -> Bool
            | "i32" -> I32
            | "u32" -> U32
            | "f32" -> F32
            | "f64" -> F64
            | _ when t.Kind = Ident -> failAt t $"unsupported dtype '{t.Text}' (supported: bool, i32, u32, f32, f64)"
            | _ -> failAt t $"expected a dtype such as f32, found {describe t}"
        expect "[" $" after the dtype {t.Text}" |> ignore
        let dims = ResizeArray<int>()
        let mutable more = not (is "]" (peek ()))
        while more do
            let d = next ()
            match Int32.TryParse(d.Text, NumberStyles.None, CultureInfo.InvariantCulture) with
            | true, n when d.Kind = Number -> dims.Add n
            | _ -> failAt d $"expected a dimension size, found {describe d}"
            more <- is "," (peek ())
            if more then next () |> ignore
        expect "]" " to close the shape" |> ignore
        Aval.make dtype (dims.ToArray())

    /// A binder `name:type`, bound in `scope` unless it is `_`.
    member r.Binder(scope: Dictionary<string, Var * Token>) : Var =
        let t = next ()
        next () |> ignore
        let v = Var.fresh (r.Type())
        r.Define scope t v
        v

    member _.Define (scope: Dictionary<string, Var * Token>) (t: Token) (v: Var) =
        match scope.TryGetValue t.Text with
        | true, (_, first) -> failAt t $"'{t.Text}' is defined twice (first at line {first.Line}, column {first.Column})"
        | _ -> if t.Text <> "_" then scope[t.Text] <- (v, t)

    /// An operand: a bound name or a literal, bare or typed (`2.0:f32[]`).
    member r.Atom(scope: Dictionary<string, Var * Token>) : RawAtom =
        let t = next ()
        let lit () =
            if is ":" (peek ()) then
                next () |> ignore
                let aval = r.Type()
                if aval.Shape.Length <> 0 then failAt t $"expected a scalar literal, found one of type {Aval.str aval}"
                ALit(t, Some aval)
            else ALit(t, None)
        match t.Kind with
        | Number -> lit ()
        | Ident when t.Text = "True" || t.Text = "False" -> lit ()
        | Ident when scope.ContainsKey t.Text -> AVar(fst scope[t.Text])
        | Ident when t.Text = "inf" || t.Text = "nan" -> lit ()
        | Ident when t.Text = "_" -> failAt t "'_' marks an unused output and cannot be read"
        | Ident ->
            match firstBinder.TryGetValue t.Text with
            | true, k when k > pos - 1 -> failAt t $"'{t.Text}' is used before its definition at line {tokens[k].Line}, column {tokens[k].Column}"
            | _ -> failAt t $"'{t.Text}' is not defined"
        | Str | Punct | End -> failAt t $"expected an operand (a name or a literal), found {describe t}"

    /// A value that is read past: tokens up to the next `key=` or `]` outside brackets.
    member _.SkipValue() =
        let first = peek ()
        if is "]" first || first.Kind = End then failAt first $"expected a param value, found {describe first}"
        let atBoundary () = is "]" (peek ()) || ((peek ()).Kind = Ident && is "=" (peekAt 1))
        let mutable depth, started = 0, false
        while not (started && depth = 0 && atBoundary ()) do
            let t = next ()
            if t.Kind = End then failAt t "expected ']' to close the params, found end of input"
            if is "(" t || is "[" t || is "{" t then depth <- depth + 1
            elif is ")" t || is "]" t || is "}" t then
                if depth = 0 then failAt t $"expected a param value, found unbalanced {describe t}"
                depth <- depth - 1
            started <- true

    member r.Py(depth: int) : Py =
        let t = peek ()
        if depth > maxDepth then failAt t $"param values nest deeper than {maxDepth}"
        let items (close: string) =
            next () |> ignore
            let xs = ResizeArray<Py>()
            while not (is close (peek ())) do
                xs.Add(r.Py(depth + 1))
                if is "," (peek ()) then next () |> ignore
                elif not (is close (peek ())) then failAt (peek ()) $"expected ',' or '{close}', found {describe (peek ())}"
            next () |> ignore
            List.ofSeq xs
        match t.Kind with
        | Number ->
            next () |> ignore
            match Int32.TryParse(t.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) with
            | true, n -> PyInt n
            | _ -> PyName t.Text
        | Ident when is "(" (peekAt 1) ->
            // a call, as in name=jvp(f): kept as its text
            next () |> ignore
            PyName(t.Text + "(" + String.Join(", ", items ")" |> List.map pyText) + ")")
        | Ident | Str ->
            next () |> ignore
            PyName t.Text
        | Punct when is "(" t -> PySeq(items ")")
        | Punct when is "[" t -> PySeq(items "]")
        | Punct when is "{" t -> PyRegion(r.Region(depth + 1))
        | Punct | End -> failAt t $"expected a param value, found {describe t}"

    /// `[k=v k=v ...]`: the params a primitive reads, in any order.
    member r.Params(depth: int) : (Token * Token * Py) list =
        expect "[" "" |> ignore
        let given = ResizeArray<Token * Token * Py>()
        while not (is "]" (peek ())) do
            let key = next ()
            if key.Kind <> Ident then failAt key $"expected a param name or ']', found {describe key}"
            expect "=" $" after param '{key.Text}'" |> ignore
            if given |> Seq.exists (fun (k, _, _) -> k.Text = key.Text) then failAt key $"param '{key.Text}' is given twice"
            if ignoredParams.Contains key.Text then r.SkipValue()
            else given.Add(key, peek (), r.Py depth)
        next () |> ignore
        List.ofSeq given

    /// `outs = prim[params] operands`, typed by the primitive's rule.
    member r.Eqn (scope: Dictionary<string, Var * Token>) (floats: DType) (depth: int) : Eqn<Prim> =
        let outs = ResizeArray<Token * Aval>()
        while startsBinder () do
            let t = next ()
            next () |> ignore
            outs.Add(t, r.Type())
        if outs.Count > 0 then expect "=" " after the equation's outputs" |> ignore
        let primTok = next ()
        if primTok.Kind <> Ident then failAt primTok $"expected a primitive name, found {describe primTok}"
        let takes, build =
            match builderOf.TryGetValue primTok.Text with
            | true, b -> b
            | _ -> failAt primTok $"unknown primitive '{primTok.Text}' (supported: {supported})"
        let prim = build (Args(primTok, takes, (if is "[" (peek ()) then r.Params depth else [])))
        let atoms = ResizeArray<RawAtom>()
        let operandStarts () =
            let t = peek ()
            t.Kind = Number
            || (t.Kind = Ident && not (t.Text = "in" && is "(" (peekAt 1))
                && (not (is ":" (peekAt 1)) || t.Text = "True" || t.Text = "False"
                    || ((t.Text = "inf" || t.Text = "nan") && not startsOutputs[pos])))
        while operandStarts () do
            atoms.Add(r.Atom scope)
        let known = atoms |> Seq.map (function AVar v -> Some v.Aval.DType | ALit(_, t) -> t |> Option.map (fun a -> a.DType)) |> List.ofSeq
        let declared = outs |> Seq.map snd |> List.ofSeq
        let inputs =
            atoms |> Seq.mapi (fun i a ->
                match a with
                | AVar v -> Var v
                | ALit(t, Some aval) -> Lit(literal floats t (Some aval.DType) true)
                | ALit(t, None) -> Lit(literal floats t (literalDType prim i known (declared |> List.map (fun a -> a.DType))) false))
            |> List.ofSeq
        let avals = inputs |> List.map Atom.aval
        let show (xs: Aval list) = String.Join(", ", xs |> List.map Aval.str)
        let typed =
            try LaxTypes.abstractEval prim avals
            with e -> failAt primTok (if e :? CotangentException then e.Message else $"{primTok.Text} rejects {show avals}: {e.Message}")
        let first = if outs.Count > 0 then fst outs[0] else primTok
        if typed.Length <> outs.Count then
            failAt first $"expected {typed.Length} output(s) ({show typed}: {primTok.Text} of {show avals}), found {outs.Count}"
        let vars =
            List.map2 (fun (t: Token, d: Aval) (rule: Aval) ->
                if d <> Aval.strong rule then
                    failAt t $"expected '{t.Text}' to have type {Aval.str rule} ({primTok.Text} of {show avals}), found {Aval.str d}"
                let v = Var.fresh rule
                r.Define scope t v
                v) (List.ofSeq outs) typed
        { Op = prim; Inputs = inputs; Outs = vars; Source = None }

    /// `{ lambda constvars ; invars . let eqns in ( outs ) }`, with a scope of its own.
    member r.Jaxpr(depth: int) : Jaxpr<Prim> =
        if depth > maxDepth then failAt (peek ()) $"regions nest deeper than {maxDepth}"
        let scope = Dictionary<string, Var * Token>()
        expect "{" " to open a jaxpr" |> ignore
        expect "lambda" " after '{'" |> ignore
        let binders () = [ while startsBinder () do yield r.Binder scope ]
        if depth = 0 && startsBinder () then r.FirstConstVar <- Some(peek ())
        let constvars = binders ()
        expect ";" " after the constvars" |> ignore
        let invars = binders ()
        expect "." " after the inputs" |> ignore
        expect "let" " after the inputs" |> ignore
        let floats = invars @ constvars |> List.tryPick (fun v -> if DType.isFloat v.Aval.DType then Some v.Aval.DType else None)
        let floats = defaultArg floats F32
        let eqns = ResizeArray<Eqn<Prim>>()
        while not (is "in" (peek ()) && is "(" (peekAt 1)) do
            if is ";" (peek ()) then next () |> ignore
            elif (peek ()).Kind = End then failAt (peek ()) "expected an equation or 'in', found end of input"
            else eqns.Add(r.Eqn scope floats depth)
        next () |> ignore
        next () |> ignore
        let outs = ResizeArray<Atom>()
        while not (is ")" (peek ())) do
            match r.Atom scope with
            | AVar v -> outs.Add(Var v)
            | ALit(t, aval) -> outs.Add(Lit(literal floats t (aval |> Option.map (fun a -> a.DType)) aval.IsSome))
            if is "," (peek ()) then next () |> ignore
            elif not (is ")" (peek ())) then failAt (peek ()) $"expected ',' or ')' in the outputs, found {describe (peek ())}"
        next () |> ignore
        expect "}" " to close the jaxpr" |> ignore
        { ConstVars = constvars; InVars = invars; Eqns = List.ofSeq eqns; OutVars = List.ofSeq outs }

    /// A region: a jaxpr with no constvars (the text cannot carry their values).
    member r.Region(depth: int) : ClosedJaxpr<Prim> =
        let start = peekAt 2
        let jaxpr = r.Jaxpr depth
        if not jaxpr.ConstVars.IsEmpty then
            failAt start "a region's constvars need values, which jaxpr text does not carry"
        { Jaxpr = jaxpr; Consts = [] }

    member _.ExpectEnd() =
        let t = peek ()
        if t.Kind <> End then failAt t $"expected end of input after the jaxpr, found {describe t}"

let private read (text: string) : Result<Jaxpr<Prim> * Token option, ParseError> =
    try
        let r = Reader(lex text)
        let jaxpr = r.Jaxpr 0
        r.ExpectEnd()
        Ok(jaxpr, r.FirstConstVar)
    with
    | Failed e -> Error e
    | e -> Error { Line = 1; Column = 1; Message = $"internal error of the jaxpr reader (please report): {e.GetType().Name}: {e.Message}" }

/// The open jaxpr `text` spells, constvars included (as JAX prints them, without values).
let parseOpen (text: string) : Result<Jaxpr<Prim>, ParseError> = read text |> Result.map fst

/// The closed jaxpr `text` spells; a jaxpr with constvars is an error (use parseOpen, and
/// supply their values), since JAX's text does not print them.
let parse (text: string) : Result<ClosedJaxpr<Prim>, ParseError> =
    match read text with
    | Ok(jaxpr, None) -> Ok { Jaxpr = jaxpr; Consts = [] }
    | Ok(_, Some t) ->
        Error { Line = t.Line; Column = t.Column; Message = $"expected no constvars, found '{t.Text}': constvars need values, which jaxpr text does not carry (parseOpen reads the open jaxpr)" }
    | Error e -> Error e

/// parse, raising JaxprParseException ("line L, column C: ...") on malformed text.
let parseOrFail (text: string) : ClosedJaxpr<Prim> =
    match parse text with
    | Ok closed -> closed
    | Error e -> raise (JaxprParseException e)
