/// Forward mode: the JVP trace and one JVP rule per lax primitive, in JAX's forms (defjvp,
/// defjvp2, deflinear, defbilinear, defjvp_zero), so the equations staged for a program match
/// JAX's. Tangents may be symbolic zeros, which never enter the IR; add_any sums contributions.
module Cotangent.Core.Passes.Jvp

open Cotangent.Core
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing
module L = Cotangent.Core.LaxOps

/// A tangent: a symbolic zero (of an aval) or a value.
type Tangent =
    | Zero of Aval
    | NonZero of Value

/// The tangent space of a primal aval (float0 in JAX for integers; here the same aval, whose
/// tangents stay symbolic zeros).
let tangentAval (aval: Aval) = aval

let zeroOf (v: Value) = Zero(tangentAval (Value.aval v))

/// JAX's zeros_like_aval: a full of 0 (a literal for scalars, a broadcast_in_dim otherwise).
let zerosLike (aval: Aval) : Value = NumpyArrays.fullOf aval 0.0

let instantiate (t: Tangent) : Value =
    match t with
    | Zero aval -> zerosLike aval
    | NonZero v -> v

/// add_tangents: symbolic zeros vanish; two values meet in add_any.
let addTangents (x: Tangent) (y: Tangent) =
    match x, y with
    | Zero _, t | t, Zero _ -> t
    | NonZero a, NonZero b -> NonZero(L.addAny a b)

/// The values of the nonzero tangents, in order (a region's tangent inputs and outputs).
let nonZeroValues (ts: Tangent list) = ts |> List.choose (function NonZero v -> Some v | Zero _ -> None)

/// Tangents rebuilt from which are nonzero and the values of those: zeros of `avals` elsewhere.
let withZeros (nonzeros: bool list) (avals: Aval list) (values: Value list) : Tangent list =
    let rest = ref values
    List.map2 (fun nz (aval: Aval) ->
        if nz then
            let v = rest.Value.Head
            rest.Value <- rest.Value.Tail
            NonZero v
        else Zero(tangentAval aval)) nonzeros avals

/// A constant like `x` (its dtype; weak if x is): JAX's `_const` / `_one`.
let constLike (x: Value) (c: float) =
    let a = Value.aval x
    Concrete(NdArray.scalar a.DType a.Weak c)

/// A strong constant of x's dtype: np.array(c, dtype) in JAX's rules.
let strongConst (x: Value) (c: float) = Concrete(NdArray.scalar (Value.aval x).DType false c)

// ---------------------------------------------------------------------------------------------
// Rule shapes (ad.py): each takes primals and tangents, returns primal outputs and tangents.

type JvpRule = Value list -> Tangent list -> Value list * Tangent list

/// standard_jvp2: rules also see the primal output `ans`.
let standard2 (prim: Prim) (rules: (Value -> Value -> Value list -> Value) option list) : JvpRule =
    fun primals tangents ->
        let out = bind1 prim primals
        let contributions =
            List.zip rules tangents
            |> List.choose (fun (rule, t) ->
                match rule, t with
                | Some r, NonZero g -> Some(NonZero(r g out primals))
                | _ -> None)
        [ out ], [ List.fold addTangents (zeroOf out) contributions ]

/// standard_jvp: one rule per operand (None: that operand has no derivative), applied to the
/// operands whose tangent is not zero, summed with add_tangents.
let standard (prim: Prim) (rules: (Value -> Value list -> Value) option list) : JvpRule =
    standard2 prim (rules |> List.map (Option.map (fun rule g _ primals -> rule g primals)))

/// linear_jvp: the primitive applied to the tangents (zeros instantiated), unless all are zero.
let linear (prim: Prim) : JvpRule =
    fun primals tangents ->
        let out = bind prim primals
        if tangents |> List.forall (function Zero _ -> true | NonZero _ -> false) then out, List.map zeroOf out
        else out, bind prim (List.map instantiate tangents) |> List.map NonZero

/// defjvp_zero: the output does not depend differentiably on the inputs.
let zeroJvp (prim: Prim) : JvpRule =
    fun primals _ ->
        let out = bind prim primals
        out, List.map zeroOf out

/// defbilinear: prim(g, y) + prim(x, g).
let bilinear (prim: Prim) : JvpRule =
    standard prim [ Some(fun g ps -> bind1 prim [ g; ps[1] ]); Some(fun g ps -> bind1 prim [ ps[0]; g ]) ]

let private unary (f: Value -> Value -> Value) = [ Some(fun g (ps: Value list) -> f g ps[0]) ]
let private unary2 (f: Value -> Value -> Value -> Value) = [ Some(fun g ans (ps: Value list) -> f g ans ps[0]) ]

/// _maybe_broadcast: the tangent of an operand broadcast to the output's shape.
let private maybeBroadcast (shape: int[]) (x: Value) =
    let s = (Value.aval x).Shape
    if Shape.equal s shape then x
    elif s.Length = 0 then L.broadcastInDim (List.ofArray shape) [] x
    else
        let keep = [ 0 .. s.Length - 1 ] |> List.filter (fun i -> s[i] = shape[i])
        let squeezed = keep |> List.map (fun i -> s[i])
        L.broadcastInDim (List.ofArray shape) keep (L.reshape squeezed x)

/// _add_jvp / _sub_jvp: a one-sided tangent is broadcast, not added to a zero.
let private addSub (prim: Prim) (negateRight: bool) : JvpRule =
    fun primals tangents ->
        let out = bind1 prim primals
        let shape = (Value.aval out).Shape
        let t =
            match tangents with
            | [ Zero _; Zero _ ] -> zeroOf out
            | [ Zero _; NonZero yd ] -> NonZero(maybeBroadcast shape (if negateRight then L.neg yd else yd))
            | [ NonZero xd; Zero _ ] -> NonZero(maybeBroadcast shape xd)
            | [ NonZero xd; NonZero yd ] -> NonZero(bind1 prim [ xd; yd ])
            | _ -> fail (Lax.name prim) "takes two operands"
        [ out ], [ t ]

/// JAX's full_like(z, c): c in z's dtype (weak if z is), broadcast to z's shape.
let fullLike (z: Value) (c: float) = NumpyArrays.fullOf (Value.aval z) c

/// _balanced_eq: 1 where x is the chosen value z, halved where y ties with it.
let private balancedEq (x: Value) (z: Value) (y: Value) =
    L.div (L.select (L.eq x z) (fullLike z 1.0) (fullLike z 0.0)) (L.select (L.eq y z) (fullLike z 2.0) (fullLike z 1.0))

/// _reduce_chooser_jvp_rule: the tangent at the chosen locations, averaged over ties.
let private reduceChooser (axes: int list) (g: Value) (ans: Value) (operand: Value) =
    let shape = (Value.aval operand).Shape |> Array.mapi (fun i d -> if List.contains i axes then 1 else d) |> List.ofArray
    let location = L.convertElementType (Value.aval g).DType false (L.eq operand (L.reshape shape ans))
    let counts = L.reduceSum axes location
    L.div (L.reduceSum axes (L.mul g location)) counts

/// _select_jvp: select_n over the case tangents (zeros instantiated) unless all are zero.
let private selectJvp : JvpRule =
    fun primals tangents ->
        let out = bind1 SelectN primals
        match tangents.Tail |> List.tryPick (function NonZero v -> Some v | Zero _ -> None) with
        | None -> [ out ], [ zeroOf out ]
        | Some nonzero ->
            let z = zerosLike (Value.aval nonzero)
            let cases = tangents.Tail |> List.map (function Zero _ -> z | NonZero v -> v)
            [ out ], [ NonZero(bind1 SelectN (primals.Head :: cases)) ]

/// _pow_jvp_lhs and _pow_jvp_rhs (float exponents; _replace_zero keeps log finite at 0).
let private powRules =
    [ Some(fun g (_: Value) (ps: Value list) -> L.mul g (L.mul ps[1] (L.pow ps[0] (L.sub ps[1] (fullLike ps[1] 1.0)))))
      Some(fun g ans (ps: Value list) ->
          let x = ps[0]
          L.mul g (L.mul (L.log (L.select (L.eq x (strongConst x 0.0)) (fullLike x 1.0) x)) ans)) ]

/// _dynamic_update_slice_jvp: the update's and operand's tangents spliced the same way.
let private dynamicUpdateSliceJvp : JvpRule =
    fun primals tangents ->
        let out = bind1 DynamicUpdateSlice primals
        match tangents with
        | Zero _ :: Zero _ :: _ -> [ out ], [ zeroOf out ]
        | gOperand :: gUpdate :: _ ->
            [ out ], [ NonZero(bind1 DynamicUpdateSlice (instantiate gOperand :: instantiate gUpdate :: primals.Tail.Tail)) ]
        | _ -> fail "dynamic_update_slice" "takes an operand, an update and indices"

/// _dynamic_slice_jvp: the tangent sliced at the primal's indices.
let private dynamicSliceJvp (sizes: int list) : JvpRule =
    fun primals tangents ->
        let t =
            match tangents.Head with
            | Zero _ -> Zero(tangentAval (Aval.make (Value.aval primals.Head).DType (Array.ofList sizes)))
            | NonZero g -> NonZero(bind1 (DynamicSlice sizes) (g :: primals.Tail))
        [ bind1 (DynamicSlice sizes) primals ], [ t ]

/// A value under forward mode: its primal and its tangent.
type JvpTracer(trace: Trace, primal: Value, tangent: Tangent) =
    inherit Tracer(trace)
    member _.Primal = primal
    member _.Tangent = tangent
    override _.Aval = Value.aval primal

    override this.Lowered() =
        match tangent with
        | Zero _ -> ValueSome(fullLower primal)
        | NonZero _ -> ValueNone

/// The JVP trace: each primitive goes to its rule; constants get zero tangents.
type JvpTrace(level: int, rules: Prim -> JvpRule) =
    inherit Trace(level)
    override this.Pure a = Traced(JvpTracer(this, Concrete a, Zero(tangentAval a.Aval)))
    override this.Lift t = Traced(JvpTracer(this, Traced t, Zero(tangentAval t.Aval)))

    /// The primal under this trace's tracer; any other value as it is.
    member this.PrimalOf(v: Value) =
        match v with
        | Traced(:? JvpTracer as t) when obj.ReferenceEquals(t.Trace, this) -> t.Primal
        | other -> other

    /// The tangent of this trace's tracer; a symbolic zero for any other value.
    member this.TangentOf(v: Value) =
        match v with
        | Traced(:? JvpTracer as t) when obj.ReferenceEquals(t.Trace, this) -> t.Tangent
        | other -> zeroOf other

    member this.Unpack(v: Value) = this.PrimalOf v, this.TangentOf v

    // Process runs for every bound primitive: its walks over the operands are members, not
    // closures over the trace, and primals and tangents are read apart, not as a list of pairs
    member private this.Primals(xs: Value list) = match xs with x :: rest -> this.PrimalOf x :: this.Primals rest | [] -> []
    member private this.Tangents(xs: Value list) = match xs with x :: rest -> this.TangentOf x :: this.Tangents rest | [] -> []

    /// An output with a zero tangent is returned as its primal, which `bind` would lower it to.
    member private this.Tracers(outs: Value list, touts: Tangent list) =
        match outs, touts with
        | p :: ps, Zero _ :: ts -> p :: this.Tracers(ps, ts)
        | p :: ps, t :: ts -> Traced(JvpTracer(this, p, t)) :: this.Tracers(ps, ts)
        | [], [] -> []
        | _ -> fail "jvp" "a jvp rule returned a different number of primal and tangent outputs"

    override this.Process prim args = this.Tracers(rules prim (this.Primals args) (this.Tangents args))

/// jvp of `f` at primals along tangents (None: a symbolic zero). Output zeros are instantiated
/// only when `instantiate` says so.
let rec jvpTangents (f: Value list -> Value list) (primals: Value list) (tangents: Tangent list) : Value list * Tangent list =
    withNewTrace (fun level -> JvpTrace(level, rule)) (fun (trace: JvpTrace) ->
        let ins = List.map2 (fun p t -> match t with Zero _ -> p | NonZero _ -> Traced(JvpTracer(trace, p, t))) primals tangents
        f ins |> List.map (fullRaise trace >> trace.Unpack) |> List.unzip)

/// _reduce_prod_jvp_rule: JAX's exact rule, the jvp of a balanced tree of multiplications over
/// the reduced axes (exact even when the operand contains zeros).
and private reduceProdJvp (axes: int list) : JvpRule =
    fun primals tangents ->
        let x = primals.Head
        let shape = (Value.aval x).Shape
        let nonAxes = [ 0 .. shape.Length - 1 ] |> List.filter (fun i -> not (List.contains i axes))
        let n = axes |> List.fold (fun acc a -> acc * shape[a]) 1
        let newShape = n :: (nonAxes |> List.map (fun i -> shape[i]))
        let perm = axes @ nonAxes
        let flatten (v: Value) =
            let v = if perm = [ 0 .. shape.Length - 1 ] then v else L.transpose perm v
            if List.ofArray (Value.aval v).Shape = newShape then v else L.reshape newShape v
        let one = strongConst x 1.0
        let rec tree (xs: Value list) =
            let x = xs.Head
            let s = (Value.aval x).Shape
            if s[0] > 1 then
                let n1 = (s[0] + 1) / 2
                let ones = List.replicate s.Length 1
                let starts k = k :: List.replicate (s.Length - 1) 0
                let part lo hi = L.slice (starts lo) (hi :: List.ofArray s[1..]) (Some ones) x
                let lo, hi = part 0 n1, part n1 s[0]
                let hi = if s[0] - n1 <> n1 then L.pad ((0, 1, 0) :: List.replicate (s.Length - 1) (0, 0, 0)) hi one else hi
                tree [ L.mul lo hi ]
            elif s[0] = 0 then [ L.broadcastInDim (List.ofArray s[1..]) [] one ]
            else [ L.squeeze [ 0 ] x ]
        let outs, touts = jvpTangents tree [ flatten x ] [ (match tangents.Head with Zero a -> Zero { a with Shape = Array.ofList newShape } | NonZero t -> NonZero(flatten t)) ]
        outs, touts

/// ad.jvp_jaxpr(instantiate=False): the jvp of a region as a region from its primals and its
/// nonzero tangents (`nonzeros` marks them) to its primal outputs and the output tangents that
/// are not symbolic zeros, which the second result marks.
and jvpJaxpr (closed: ClosedJaxpr<Prim>) (nonzeros: bool list) : ClosedJaxpr<Prim> * bool list =
    let inAvals = closed.Jaxpr.InVars |> List.map (fun v -> v.Aval)
    let outNonzeros = ref []
    let body (args: Value list) =
        let primals, tangents = List.splitAt inAvals.Length args
        let outs, touts = jvpTangents (Numpy.regionFun closed) primals (withZeros nonzeros inAvals tangents)
        outNonzeros.Value <- touts |> List.map (function NonZero _ -> true | Zero _ -> false)
        outs @ nonZeroValues touts
    let tangentAvals = List.zip inAvals nonzeros |> List.filter snd |> List.map (fst >> tangentAval)
    let jvpClosed = Numpy.traceClosedRegion body (inAvals @ tangentAvals)
    jvpClosed, outNonzeros.Value

/// _pjit_jvp: one pjit (JAX keeps the name) of the region's jvp, taking the primals and the
/// nonzero tangents and giving the primal outputs and the nonzero output tangents.
and private pjitJvp (name: string) (closed: ClosedJaxpr<Prim>) : JvpRule =
    fun primals tangents ->
        let nonzeros = tangents |> List.map (function NonZero _ -> true | Zero _ -> false)
        let jvpClosed, outNonzeros = jvpJaxpr closed nonzeros
        let outs = bind (Pjit(name, jvpClosed)) (primals @ nonZeroValues tangents)
        let primalsOut, tangentsOut = List.splitAt closed.Jaxpr.OutVars.Length outs
        primalsOut, withZeros outNonzeros (primalsOut |> List.map Value.aval) tangentsOut

/// _scan_jvp: a scan of the body's jvp, each nonzero tangent beside its primal's group (consts,
/// carries, xs; the ys after the ys). A carry's tangent is nonzero wherever a step makes it so:
/// a fixpoint, since a carry tangent one step produces must be carried from the start.
and private scanJvp (s: ScanParams) : JvpRule =
    fun primals tangents ->
        let nc, nk = s.NumConsts, s.NumCarry
        let isNonZero t = match t with NonZero _ -> true | Zero _ -> false
        let constNz, initNz, xsNz = scanGroups s (List.map isNonZero tangents)
        let constAvals, carryAvals, xAvals = scanGroups s (s.Jaxpr.Jaxpr.InVars |> List.map (fun v -> v.Aval))
        let some (nz: bool list) (xs: 'a list) = List.zip xs nz |> List.filter snd |> List.map fst
        let rec settle (carryNz: bool list) =
            let outNz = ref []
            // the body's args: consts, their nonzero tangents, carries, theirs, xs, theirs
            let body (args: Value list) =
                let take (n: int) (xs: Value list) = List.splitAt n xs
                let c, rest = take nc args
                let ct, rest = take (some constNz constAvals).Length rest
                let k, rest = take nk rest
                let kt, rest = take (some carryNz carryAvals).Length rest
                let x, xt = take xAvals.Length rest
                let ins = withZeros constNz constAvals ct @ withZeros carryNz carryAvals kt @ withZeros xsNz xAvals xt
                let outs, touts = jvpTangents (Numpy.regionFun s.Jaxpr) (c @ k @ x) ins
                outNz.Value <- List.map isNonZero touts
                let carryOut, ysOut = List.splitAt nk outs
                let carryT, ysT = List.splitAt nk touts
                carryOut @ (some carryNz carryT |> List.map instantiate) @ ysOut @ nonZeroValues ysT
            let tangentsOf nz avals = some nz avals |> List.map tangentAval
            let avals = constAvals @ tangentsOf constNz constAvals @ carryAvals @ tangentsOf carryNz carryAvals @ xAvals @ tangentsOf xsNz xAvals
            let closed = Numpy.traceClosedRegion body avals
            let now = List.map2 (||) carryNz (List.take nk outNz.Value)
            if now <> carryNz then settle now else closed, carryNz, List.skip nk outNz.Value
        let closed, carryNz, ysNz = settle initNz
        let c, k, x = scanGroups s primals
        let ct, kt, xt = scanGroups s tangents
        let operands = c @ nonZeroValues ct @ k @ (some carryNz kt |> List.map instantiate) @ x @ nonZeroValues xt
        let scan = { s with NumConsts = nc + (some constNz c).Length; NumCarry = nk + (some carryNz k).Length; Jaxpr = closed }
        let outs = bind (Scan scan) operands
        let carries, rest = List.splitAt nk outs
        let carryT, rest = List.splitAt (some carryNz k).Length rest
        let ys, ysT = List.splitAt (ysNz.Length) rest
        carries @ ys, withZeros carryNz (carries |> List.map Value.aval) carryT @ withZeros ysNz (ys |> List.map Value.aval) ysT

/// The JVP rule of each primitive, in Prim order.
and rule (prim: Prim) : JvpRule =
    match prim with
    | Neg -> linear prim
    | Sign | Floor | Ceil | Round _ | IsFinite -> zeroJvp prim
    | Exp -> standard2 prim (unary2 (fun g ans _ -> L.mul g ans))
    | Log -> standard prim (unary (fun g x -> L.div g x))
    | Log1p -> standard prim (unary (fun g x -> L.div g (L.add x (constLike x 1.0))))
    | Expm1 -> standard2 prim (unary2 (fun g ans _ -> L.mul g (L.add ans (constLike ans 1.0))))
    | Sin -> standard prim (unary (fun g x -> L.mul g (L.cos x)))
    | Cos -> standard prim (unary (fun g x -> L.neg (L.mul g (L.sin x))))
    | Tan -> standard2 prim (unary2 (fun g ans x -> L.mul g (L.add (strongConst x 1.0) (L.integerPow 2 ans))))
    | Tanh -> standard2 prim (unary2 (fun g ans x -> L.mul (L.add g (L.mul g ans)) (L.sub (constLike x 1.0) ans)))
    | Logistic -> standard2 prim (unary2 (fun g ans _ -> L.mul g (L.mul ans (L.sub (constLike ans 1.0) ans))))
    | Sqrt -> standard2 prim (unary2 (fun g ans x -> L.mul g (L.div (strongConst x 0.5) ans)))
    | Rsqrt -> standard2 prim (unary2 (fun g ans x -> L.mul g (L.mul (strongConst x -0.5) (L.div ans x))))
    | Abs -> standard2 prim (unary2 (fun g _ x -> let nonneg = L.ge x (constLike x 0.0) in L.select nonneg g (L.neg g)))
    // _integer_pow_jvp special-cases 0, 1 and 2 so no integer_pow of 0 or 1 is staged
    | IntegerPow 0 -> standard prim (unary (fun g _ -> fullLike g 0.0))
    | IntegerPow 1 -> standard prim (unary (fun g _ -> g))
    | IntegerPow 2 -> standard prim (unary (fun g x -> L.mul g (L.mul (strongConst x 2.0) x)))
    | IntegerPow y -> standard prim (unary (fun g x -> L.mul g (L.mul (strongConst x (float y)) (L.integerPow (y - 1) x))))
    | Not -> zeroJvp prim
    | Pow -> standard2 prim powRules
    | Add -> addSub prim false
    | Sub -> addSub prim true
    | Mul -> standard prim [ Some(fun g ps -> L.mul g ps[1]); Some(fun g ps -> L.mul ps[0] g) ]
    | Div -> standard prim [ Some(fun g ps -> L.div g ps[1]); Some(fun g ps -> L.mul (L.mul (L.neg g) ps[0]) (L.integerPow -2 ps[1])) ]
    | Rem ->
        standard prim
            [ Some(fun g ps -> maybeBroadcast (Numpy.broadcastShapes "rem" [ (Value.aval ps[0]).Shape; (Value.aval ps[1]).Shape ]) g)
              Some(fun g ps -> L.mul (L.neg g) (L.mul (L.sign (L.div ps[0] ps[1])) (L.floor (L.abs (L.div ps[0] ps[1]))))) ]
    | Max | Min ->
        standard2 prim
            [ Some(fun g ans ps -> L.mul g (balancedEq ps[0] ans ps[1]))
              Some(fun g ans ps -> L.mul g (balancedEq ps[1] ans ps[0])) ]
    | Atan2 ->
        let sumSq (ps: Value list) = L.add (L.integerPow 2 ps[0]) (L.integerPow 2 ps[1])
        standard prim
            [ Some(fun g ps -> L.mul g (L.div ps[1] (sumSq ps)))
              Some(fun g ps -> let num = L.mul g (L.neg ps[0]) in L.div num (sumSq ps)) ]
    | Eq | Ne | Lt | Le | Gt | Ge | And | Or -> zeroJvp prim
    | AddAny -> linear prim
    | SelectN -> selectJvp
    | ConvertElementType(dtype, _) when not (DType.isFloat dtype) -> zeroJvp prim
    | ConvertElementType _ -> standard prim [ Some(fun g _ -> bind1 prim [ g ]) ]
    | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ -> linear prim
    | ReduceMax axes | ReduceMin axes -> standard2 prim (unary2 (fun g ans x -> reduceChooser axes g ans x))
    | ReduceProd axes -> reduceProdJvp axes
    | Argmax _ | Argmin _ -> zeroJvp prim
    | Cumsum _ -> linear prim
    | DotGeneral _ -> bilinear prim
    | Slice _ -> linear prim
    | DynamicSlice sizes -> dynamicSliceJvp sizes
    | DynamicUpdateSlice -> dynamicUpdateSliceJvp
    | Concatenate _ | Pad _ | Rev _ -> linear prim
    | Iota _ -> zeroJvp prim
    | StopGradient -> fun primals _ -> let out = bind1 prim primals in [ out ], [ zeroOf out ]
    | Pjit(name, closed) -> pjitJvp name closed
    | Scan s -> scanJvp s

/// jax.jvp: primal outputs and (instantiated) output tangents.
let jvp (f: Value list -> Value list) (primals: Value list) (tangents: Value list) : Value list * Value list =
    let outs, touts = jvpTangents f primals (List.map NonZero tangents)
    outs, List.map instantiate touts
