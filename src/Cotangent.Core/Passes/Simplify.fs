/// simplify: constant folding and IEEE-exact algebraic identities, to a fixpoint in one forward
/// walk (MLIR's canonicalize with folders). Takes a closed jaxpr; returns one computing bit for bit the same
/// outputs (folding runs the reference interpreter), without the equations that became dead.
/// Guarantees: an equation is replaced only by an atom or equation of exactly its output aval
/// (shape, dtype and weak type); folding never turns a broadcast of a scalar into a big constant.
module Cotangent.Core.Passes.Simplify

open System
open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend
open Cotangent.Core.Passes.PassTypes
open Cotangent.Core.Passes.SimplifyFacts

// ---------------------------------------------------------------------------------------------
// Rules. Each proposes rewrites; `fitted` keeps the first whose aval is the equation's exactly.

let private forward (inputs: Atom list) = List.truncate 1 inputs |> List.map Forward

// x * 1 = 1 * x = x (exact for every x, NaN and -0.0 included)
let private mulOne (facts: Facts) (inputs: Atom list) =
    match inputs with
    | [ x; y ] -> [ if facts.IsAll 1.0 y then Forward x
                    if facts.IsAll 1.0 x then Forward y ]
    | _ -> []

// x + -0.0 = -0.0 + x = x (not x + 0.0: -0.0 + 0.0 = 0.0); integers: x + 0 = x
let private addNegZero (facts: Facts) (inputs: Atom list) =
    match inputs with
    | [ x; y ] -> [ if facts.IsAll -0.0 y then Forward x
                    if facts.IsAll -0.0 x then Forward y ]
    | _ -> []

// x - 0.0 = x (-0.0 - 0.0 = -0.0)
let private subZero (facts: Facts) (inputs: Atom list) =
    match inputs with
    | [ x; y ] when facts.IsAll 0.0 y -> [ Forward x ]
    | _ -> []

// x / 1 = x
let private divOne (facts: Facts) (inputs: Atom list) =
    match inputs with
    | [ x; y ] when facts.IsAll 1.0 y -> [ Forward x ]
    | _ -> []

// neg(neg(x)) = x
let private negNeg (facts: Facts) (inputs: Atom list) =
    match inputs |> List.tryExactlyOne |> Option.bind facts.Producer with
    | Some { Op = Neg; Inputs = [ x ] } -> [ Forward x ]
    | Some _ | None -> []

// select_n(i, x0, x1, ..) = x_i for a constant i; select_n(p, x, x, ..) = x
let private selectN (facts: Facts) (inputs: Atom list) =
    match inputs with
    | which :: (first :: _ as cases) ->
        [ match facts.Splat which with
          | Some p ->
              let i = int (NdArray.item 0 p)
              if i >= 0 && i < cases.Length then Forward cases[i]
          | None -> ()
          match first with
          | Var v when cases |> List.forall (fun c -> c = Var v) -> Forward first
          | Var _ | Lit _ -> () ]
    | _ -> []

// broadcast_in_dim(broadcast_in_dim(x, s1, d1), s2, d2) = broadcast_in_dim(x, s2, d2 ∘ d1)
let private broadcastOfBroadcast (facts: Facts) (shape: int list) (dims: int list) (inputs: Atom list) =
    match inputs |> List.tryExactlyOne |> Option.bind facts.Producer with
    | Some { Op = BroadcastInDim(_, inner); Inputs = [ x ] } -> [ replace (BroadcastInDim(shape, inner |> List.map (fun d -> dims[d]))) [ x ] ]
    | Some _ | None -> []

// reshape(reshape(x)) = reshape(x), and so for squeeze and expand_dims (row-major reshapes too)
let private reshapeOfReshape (facts: Facts) (sizes: int list) (inputs: Atom list) =
    match inputs |> List.tryExactlyOne |> Option.bind facts.Producer with
    | Some { Op = Reshape _ | Squeeze _ | ExpandDims _; Inputs = [ x ] } -> [ replace (Reshape sizes) [ x ] ]
    | Some _ | None -> []

// layout(splat c) = c at rank 0, else broadcast_in_dim(c): every element is the literal
let private ofSplat (facts: Facts) (out: Aval) (inputs: Atom list) =
    match inputs |> List.tryHead |> Option.bind facts.Splat with
    | Some c when out.Shape.Length = 0 -> [ Forward(Lit c) ]
    | Some c -> [ replace (BroadcastInDim(List.ofArray out.Shape, [])) [ Lit c ] ]
    | None -> []

let private isIdentity (perm: int list) = perm = List.init perm.Length id

// transpose(dot_general(a, b)) = dot_general(b, a) when each operand keeps one free dimension and
// none is batched: the same products summed in the same order, so the result is bit for bit the
// transpose (XLA's algebraic simplifier folds it too). Reverse mode leaves one after every weight
// gradient; the product then lands in the layout the transpose would copy it to with strided
// reads. Only for the product's one reader (a second would compute the product twice).
let private transposeOfDot (facts: Facts) (perm: int list) (inputs: Atom list) =
    let freeDims (x: Atom) (contract: int list) = (Atom.aval x).Shape.Length - contract.Length
    match perm, inputs with
    | [ 1; 0 ], [ Var product as x ] when (facts.SoleUser product).IsSome ->
        match facts.Producer x with
        | Some { Op = DotGeneral({ LhsBatch = []; RhsBatch = [] } as dims, preferred); Inputs = [ a; b ] }
            when freeDims a dims.LhsContract = 1 && freeDims b dims.RhsContract = 1 ->
            [ replace (DotGeneral({ dims with LhsContract = dims.RhsContract; RhsContract = dims.LhsContract }, preferred)) [ b; a ] ]
        | Some _ | None -> []
    | _ -> []

// A tree of add_any over pad(x_i, 0.0) of disjoint blocks that tile a range of one axis =
// pad(add_any(concatenate(x_1, .., x_n), 0.0), 0.0): each element gets +0.0 from the other pads
// (v + 0.0 + 0.0 = v + 0.0, so even -0.0 comes out as the sum does). The chain of slice
// transposes that reverse mode leaves (O(n²) work) folds into one concatenate (O(n)), at the
// tree's root: an add_any read only by one add_any is an interior node, left for DCE. A pad whose
// payload is itself add_any(concatenate(..), 0.0) contributes its pieces.
let private padTree (facts: Facts) (self: Var) (inputs: Atom list) =
    let padOf (a: Atom) =
        match facts.Producer a with
        | Some { Op = Pad config; Inputs = [ x; zero ] } when facts.IsAll 0.0 zero ->
            let moved = config |> List.indexed |> List.filter (fun (_, c) -> c <> (0, 0, 0))
            match moved with
            | [ d, (lo, hi, 0) ] when lo >= 0 && hi >= 0 -> Some(d, lo, (Atom.aval x).Shape[d], x, zero)
            | _ -> None
        | _ -> None
    let pieces (d: int) (x: Atom) =
        match facts.Producer x with
        | Some { Op = AddAny; Inputs = [ c; zero ] } when facts.IsAll 0.0 zero ->
            match facts.Producer c with
            | Some { Op = Concatenate d'; Inputs = parts } when d' = d -> parts
            | _ -> [ x ]
        | _ -> [ x ]
    let interior (v: Var) = match facts.SoleUser v with Some { Op = AddAny } -> true | _ -> false
    // the leaves under this root, through interior add_any nodes (an explicit stack: chains are long)
    let leaves () =
        let found = ResizeArray<Atom>()
        let stack = System.Collections.Generic.Stack<Atom>(List.rev inputs)
        while stack.Count > 0 do
            let a = stack.Pop()
            match a, facts.Producer a with
            | Var v, Some { Op = AddAny; Inputs = [ x; y ] } when interior v -> stack.Push y; stack.Push x
            | _ -> found.Add a
        List.ofSeq found
    // only a tree with a pad or an interior node among its operands can fold (asked of every add_any)
    let padOrTree (a: Atom) =
        match a, facts.Producer a with
        | _, Some { Op = Pad _ } -> true
        | Var v, Some { Op = AddAny } -> interior v
        | _ -> false
    if interior self || not (List.exists padOrTree inputs) then []
    else
        match leaves () |> List.map padOf with
        | Some(d, _, _, _, zero) :: _ as pads when pads |> List.forall (fun p -> match p with Some(d', _, _, _, _) -> d' = d | None -> false) ->
            let blocks = pads |> List.choose id |> List.sortBy (fun (_, lo, _, _, _) -> lo)
            let tiled = blocks |> List.pairwise |> List.forall (fun ((_, lo, n, _, _), (_, lo', _, _, _)) -> lo + n = lo')
            if not tiled then []
            else
                let shape = (Atom.aval inputs.Head).Shape
                let lo = blocks |> List.head |> fun (_, lo, _, _, _) -> lo
                let covered = blocks |> List.sumBy (fun (_, _, n, _, _) -> n)
                let config = List.init shape.Length (fun k -> if k = d then (lo, shape[d] - lo - covered, 0) else (0, 0, 0))
                let parts = blocks |> List.collect (fun (_, _, _, x, _) -> pieces d x)
                [ Ops [ Concatenate d, List.map In parts; AddAny, [ Prev 0; In zero ]; Pad config, [ Prev 1; In zero ] ] ]
        | _ -> []

/// The rewrites proposed for `prim` on (substituted) `inputs` with output aval `out`. A layout op
/// whose output aval is its operand's moves no element, so `forward` proposes the operand.
let private identities (facts: Facts) (prim: Prim) (inputs: Atom list) (self: Var) (out: Aval) : Rewrite list =
    match prim with
    | Neg -> negNeg facts inputs
    | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not | Pow -> []
    | Add -> addNegZero facts inputs
    | AddAny -> addNegZero facts inputs @ padTree facts self inputs
    | Sub -> subZero facts inputs
    | Mul -> mulOne facts inputs
    | Div -> divOne facts inputs
    | Rem | Max | Min | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And | Or -> []
    | SelectN -> selectN facts inputs
    | ConvertElementType _ -> forward inputs
    | BroadcastInDim(shape, dims) -> forward inputs @ broadcastOfBroadcast facts shape dims inputs
    | Reshape sizes -> forward inputs @ reshapeOfReshape facts sizes inputs @ ofSplat facts out inputs
    | Squeeze _ | ExpandDims _ -> forward inputs @ ofSplat facts out inputs
    | Transpose perm -> (if isIdentity perm then forward inputs else []) @ transposeOfDot facts perm inputs @ ofSplat facts out inputs
    | ReduceSum _ | ReduceMax _ | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ -> []
    // a slice (static or dynamic, whose starts clamp) with the operand's shape takes every element
    | Slice _ | DynamicSlice _ -> forward inputs @ ofSplat facts out inputs
    | DynamicUpdateSlice -> []
    | Concatenate _ -> if inputs.Length = 1 then forward inputs else []
    | Pad config -> if config |> List.forall ((=) (0, 0, 0)) then forward inputs else []
    | Rev dims ->
        let moves = inputs |> List.exists (fun x -> dims |> List.exists (fun d -> (Atom.aval x).Shape[d] > 1))
        (if moves then [] else forward inputs) @ ofSplat facts out inputs
    | Iota(dtype, shape, dim) -> SimplifyGenerators.unitIota dtype shape dim
    | StopGradient | Pjit _ | Scan _ -> []

/// The rule families in order, identities first: the first rewrite that fits wins, and the later
/// families are not asked (most equations match none: this runs once per equation).
let private families: (Facts -> Prim -> Atom list -> Var -> Aval -> Rewrite list) list =
    [ identities
      fun facts prim inputs _ out -> SimplifyGenerators.layoutRules facts prim inputs out
      fun facts prim inputs _ out -> SimplifyGenerators.foldIntoSelect facts prim inputs out ]

/// The rewrite fits a one-output equation binding `outs` when it gives exactly that aval; then the
/// rewrite with the aval of each of its ops (placing them needs no type rule again).
let private fitted (outs: Var list) (rewrite: Rewrite) : (Rewrite * Aval[]) option =
    match outs, rewrite with
    | [ o ], Forward a -> if Atom.aval a = o.Aval then Some(rewrite, [||]) else None
    | [ o ], Ops ops ->
        try
            let avals = Array.zeroCreate<Aval> ops.Length
            ops |> List.iteri (fun k (prim, operands) ->
                let ins = operands |> List.map (fun x -> match x with In a -> Atom.aval a | Prev j -> avals[j])
                match LaxTypes.abstractEval prim ins with
                | [ a ] -> avals[k] <- a
                | _ -> raise (CotangentException(Lax.name prim, "a rewrite's op has one result", None)))
            if avals[avals.Length - 1] = o.Aval then Some(rewrite, avals) else None
        with :? CotangentException -> None
    | _, (Forward _ | Ops _) -> None

/// The first rewrite of `families` (in order) that fits `e` on `inputs`.
let rec private firstFit facts (e: Eqn<Prim>) (inputs: Atom list) (out: Aval) families =
    match families with
    | family :: later ->
        match family facts e.Op inputs e.Outs.Head out with
        | [] -> firstFit facts e inputs out later
        | proposed -> match List.tryPick (fitted e.Outs) proposed with Some r -> Some r | None -> firstFit facts e inputs out later
    | [] -> None

// ---------------------------------------------------------------------------------------------
// Folding: an equation whose inputs are all known runs in the interpreter, unless it would make
// a constant bigger than its inputs, or an array out of scalars only (a broadcast of a literal,
// an iota: kept as they are, since the rules above make layout ops of literals broadcasts).

// asked of every equation: a top-level function, not a closure made per call
let rec private allKnown (facts: Facts) (atoms: Atom list) =
    match atoms with
    | Lit _ :: rest -> allKnown facts rest
    | Var v :: rest -> facts.Values.ContainsKey v && allKnown facts rest
    | [] -> true

let private fold (facts: Facts) (e: Eqn<Prim>) (inputs: Atom list) : NdArray list option =
    if allKnown facts inputs then
        let args = inputs |> List.choose facts.Value
        let largest = args |> List.fold (fun m a -> max m (Aval.size a.Aval)) 1
        let fromArrays = args |> List.exists (fun a -> a.Aval.Shape.Length > 0)
        if e.Outs |> List.forall (fun o -> Aval.size o.Aval <= largest && (fromArrays || o.Aval.Shape.Length = 0)) then
            try
                let results = Interpreter.eval e.Op args
                if List.map (fun (r: NdArray) -> r.Aval) results = List.map (fun (o: Var) -> o.Aval) e.Outs then Some results else None
            with :? CotangentException -> None
        else None
    else None

/// How deep the ops of rewrites are themselves rewritten within one walk.
let private maxDepth = 16

/// One forward walk: each equation rewritten by the first fitting rule, folded, or kept. Rules read
/// the producers of an equation's operands, which the walk has already rewritten (and it rewrites
/// the ops a rewrite creates as it places them); the one rule that reads uses (pad trees) waits
/// for a tree's root. So one walk is a fixpoint. Returns the new program and the numbers of
/// equations folded and simplified.
let private walk (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> * int * int =
    // the hash-consing table sized once for the equations rewrites place (25k for the JacRev
    // loop's 22k equations); each doubling would copy it
    let n = closed.Jaxpr.Eqns.Length
    let facts = Facts()
    let env = VarTable<Atom>()
    let subst = subst env
    let constVars, consts = ResizeArray closed.Jaxpr.ConstVars, ResizeArray closed.Consts
    List.iter2 (fun v c -> facts.Values[v] <- c) closed.Jaxpr.ConstVars closed.Consts
    facts.CountUses closed.Jaxpr
    let eqns = ref []
    let emit (e: Eqn<Prim>) =
        eqns.Value <- e :: eqns.Value
        facts.Produced e
    // equations a rewrite created, by op and operands: one iota serves every slice of an eye
    let created = Cse.ConsTable<Prim, Var>(n + n / 2)
    let mutable folded, simplified = 0, 0
    // an equation (depth > 0: one a rewrite created) rewritten by the first fitting rule (its new
    // ops placed in turn), folded, or emitted
    let rec place (depth: int) (e: Eqn<Prim>) =
        let inputs = substAll env e.Inputs
        let out = match e.Outs with [ o ] -> o.Aval | _ -> Aval.scalar Bool
        let rewrite = if depth > maxDepth then None else firstFit facts e inputs out families
        match rewrite with
        | Some(Forward a, _) ->
            simplified <- simplified + 1
            env[e.Outs.Head] <- a
        | Some(Ops ops, avals) ->
            simplified <- simplified + 1
            let results = Array.zeroCreate<Atom> avals.Length
            ops |> List.iteri (fun k (prim, operands) ->
                let args = operands |> List.map (fun x -> match x with In a -> a | Prev j -> results[j])
                let o = if k = avals.Length - 1 then e.Outs.Head else Var.fresh avals[k]
                place (depth + 1) { e with Op = prim; Inputs = args; Outs = [ o ] }
                results[k] <- subst (Var o))
        | None ->
            match fold facts e inputs with
            | Some results ->
                folded <- folded + 1
                List.iter2 (fun (o: Var) (r: NdArray) ->
                    if r.Aval.Shape.Length = 0 then env[o] <- Lit r
                    else
                        // the output var is bound as a constvar instead
                        facts.Values[o] <- r
                        constVars.Add o
                        consts.Add r) e.Outs results
            | None when depth > 0 ->
                let key = struct (e.Op, inputs)
                match created.GetOrAdd(key, e.Outs.Head) with
                | ValueSome v -> env[e.Outs.Head] <- Var v
                | ValueNone -> emit (withInputs e inputs)
            | None -> emit (withInputs e inputs)
    // an equation nothing reads (a rewrite's leftover, say) is dropped, not rewritten again
    for e in closed.Jaxpr.Eqns do
        if e.Outs |> List.exists facts.Users.ContainsKey then place 0 e
    let jaxpr =
        { closed.Jaxpr with ConstVars = List.ofSeq constVars; Eqns = List.rev eqns.Value; OutVars = closed.Jaxpr.OutVars |> List.map subst }
    { Jaxpr = jaxpr; Consts = List.ofSeq consts }, folded, simplified

/// The `simplify` pass: folds and rewrites in one walk, then erases the equations and constvars
/// that no output reaches any more.
let simplify (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> * Stats =
    let result, folded, simplified = walk closed
    let cleaned, dceStats = Dce.dce result
    cleaned,
    [ stat "num-folded" "Number of equations folded into constants" folded
      stat "num-simplified" "Number of equations rewritten by an algebraic identity" simplified ]
    @ dceStats

/// A region's program (a scan's body) cleaned as the default pipeline cleans its caller: dce, cse,
/// then simplify (which erases what became dead).
let cleanRegion (closed: ClosedJaxpr<Prim>) : ClosedJaxpr<Prim> =
    closed |> Dce.dce |> fst |> Cse.cse |> fst |> simplify |> fst
