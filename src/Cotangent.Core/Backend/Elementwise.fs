/// Elementwise kernels of the lax dialect, matching XLA on CPU. Takes buffers of the output's n
/// elements or of 1 element (a rank-0 operand, broadcast: the interpreter materializes any other
/// broadcast first); returns a fresh buffer of n. f32/f64 go through TensorPrimitives where it
/// matches XLA. Expects the type rule to have run: dtypes it rejects are `unreachable`.
module Cotangent.Core.Backend.Elementwise

open System
open System.Numerics
open System.Numerics.Tensors
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend.Buffers

/// A float unary op as one whole-buffer kernel for both f32 and f64, like TensorPrimitives'
/// operator structs: F# cannot pass a generic function, but can pass an object with a generic method.
[<AbstractClass>]
type FloatUnary() =
    abstract Apply<'T when 'T :> IFloatingPointIeee754<'T>> : x: ReadOnlySpan<'T> * out: Span<'T> -> unit

/// A float binary op as kernels for each operand kind, so a broadcast scalar is never expanded.
[<AbstractClass>]
type FloatBinary() =
    abstract VV<'T when 'T :> IFloatingPointIeee754<'T>> : x: ReadOnlySpan<'T> * y: ReadOnlySpan<'T> * out: Span<'T> -> unit
    abstract VS<'T when 'T :> IFloatingPointIeee754<'T>> : x: ReadOnlySpan<'T> * y: 'T * out: Span<'T> -> unit
    abstract SV<'T when 'T :> IFloatingPointIeee754<'T>> : x: 'T * y: ReadOnlySpan<'T> * out: Span<'T> -> unit

// Some TensorPrimitives kernels (Sigmoid) throw on empty spans, hence the n > 0 guards.
let private apply1 (op: FloatUnary) (x: 'T[]) : 'T[] =
    let out = Array.zeroCreate x.Length
    if x.Length > 0 then op.Apply(ReadOnlySpan x, Span out)
    out

let private apply2 (op: FloatBinary) (n: int) (x: 'T[]) (y: 'T[]) : 'T[] =
    let out = Array.zeroCreate n
    if n = 0 then ()
    elif x.Length = n && y.Length = n then op.VV(ReadOnlySpan x, ReadOnlySpan y, Span out)
    elif x.Length = 1 then op.SV(x[0], ReadOnlySpan y, Span out)
    else op.VS(ReadOnlySpan x, y[0], Span out)
    out

// ---- dtype-class dispatch: one kernel per dtype the class admits --------------------------

let private noBool (_: bool) : bool = unreachable "a numeric op on bool"
let private noBool2 (_: bool) (_: bool) : bool = unreachable "a numeric op on bool"

let inline private numeric1 ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) (f: FloatUnary) (x: ArrayData) =
    match x with
    | I32Data a -> I32Data(map i a)
    | U32Data a -> U32Data(map u a)
    | F32Data a -> F32Data(apply1 f a)
    | F64Data a -> F64Data(apply1 f a)
    | BoolData _ -> unreachable "a numeric op on bool"

/// Per-element scalar functions for all dtypes, for ops TensorPrimitives has no kernel for.
let inline private scalar1 ([<InlineIfLambda>] b) ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) ([<InlineIfLambda>] f) ([<InlineIfLambda>] d) (x: ArrayData) =
    match x with
    | BoolData a -> BoolData(map b a)
    | I32Data a -> I32Data(map i a)
    | U32Data a -> U32Data(map u a)
    | F32Data a -> F32Data(map f a)
    | F64Data a -> F64Data(map d a)

let private float1 (f: FloatUnary) (x: ArrayData) =
    match x with
    | F32Data a -> F32Data(apply1 f a)
    | F64Data a -> F64Data(apply1 f a)
    | BoolData _ | I32Data _ | U32Data _ -> unreachable "a float op on a non-float"

let inline private floatScalar1 ([<InlineIfLambda>] f) ([<InlineIfLambda>] d) (x: ArrayData) =
    match x with
    | F32Data a -> F32Data(map f a)
    | F64Data a -> F64Data(map d a)
    | BoolData _ | I32Data _ | U32Data _ -> unreachable "a float op on a non-float"

let inline private any2 ([<InlineIfLambda>] b) ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) (f: FloatBinary) n (x: ArrayData) (y: ArrayData) =
    match x, y with
    | BoolData x, BoolData y -> BoolData(map2 b n x y)
    | I32Data x, I32Data y -> I32Data(map2 i n x y)
    | U32Data x, U32Data y -> U32Data(map2 u n x y)
    | F32Data x, F32Data y -> F32Data(apply2 f n x y)
    | F64Data x, F64Data y -> F64Data(apply2 f n x y)
    | _ -> unreachable "operands of different dtypes"

let inline private numeric2 ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) (f: FloatBinary) n x y = any2 noBool2 i u f n x y

/// Per-element scalar functions for the numeric dtypes, for ops TensorPrimitives gets wrong.
let inline private numericScalar2 ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) ([<InlineIfLambda>] f) ([<InlineIfLambda>] d) n (x: ArrayData) (y: ArrayData) =
    match x, y with
    | I32Data x, I32Data y -> I32Data(map2 i n x y)
    | U32Data x, U32Data y -> U32Data(map2 u n x y)
    | F32Data x, F32Data y -> F32Data(map2 f n x y)
    | F64Data x, F64Data y -> F64Data(map2 d n x y)
    | _ -> unreachable "a numeric op on bools or mixed dtypes"

let private float2 (f: FloatBinary) n (x: ArrayData) (y: ArrayData) =
    match x, y with
    | F32Data x, F32Data y -> F32Data(apply2 f n x y)
    | F64Data x, F64Data y -> F64Data(apply2 f n x y)
    | _ -> unreachable "a float op on non-floats"

let inline private integral2 ([<InlineIfLambda>] b) ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) n (x: ArrayData) (y: ArrayData) =
    match x, y with
    | BoolData x, BoolData y -> BoolData(map2 b n x y)
    | I32Data x, I32Data y -> I32Data(map2 i n x y)
    | U32Data x, U32Data y -> U32Data(map2 u n x y)
    | _ -> unreachable "a bitwise op on floats or mixed dtypes"

/// A comparison, one lambda per dtype (bool, i32, u32, f32, f64): F# cannot pass one generic (<).
let inline private compare2 ([<InlineIfLambda>] b) ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) ([<InlineIfLambda>] f) ([<InlineIfLambda>] d) n (x: ArrayData) (y: ArrayData) =
    match x, y with
    | BoolData x, BoolData y -> BoolData(map2 b n x y)
    | I32Data x, I32Data y -> BoolData(map2 i n x y)
    | U32Data x, U32Data y -> BoolData(map2 u n x y)
    | F32Data x, F32Data y -> BoolData(map2 f n x y)
    | F64Data x, F64Data y -> BoolData(map2 d n x y)
    | _ -> unreachable "operands of different dtypes"

// ---- TensorPrimitives kernels --------------------------------------------------------------

let private vNeg = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Negate(x, o) }
let private vFloor = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Floor(x, o) }
let private vCeil = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Ceiling(x, o) }
let private vRoundAway = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Round(x, MidpointRounding.AwayFromZero, o) }
let private vRoundEven = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Round(x, MidpointRounding.ToEven, o) }
let private vExp = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Exp(x, o) }
let private vLog = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Log(x, o) }
let private vSin = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Sin(x, o) }
let private vCos = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Cos(x, o) }
let private vTan = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Tan(x, o) }
let private vSigmoid = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Sigmoid(x, o) }
let private vSqrt = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Sqrt(x, o) }
let private vRsqrt = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.ReciprocalSqrt(x, o) }
let private vAbs = { new FloatUnary() with member _.Apply(x, o) = TensorPrimitives.Abs(x, o) }

let private vAdd =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Add(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Add(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Add(y, x, o) }

let private vSub =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Subtract(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Subtract(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Subtract(x, y, o) }

let private vMul =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Multiply(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Multiply(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Multiply(y, x, o) }

let private vDiv =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Divide(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Divide(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Divide(x, y, o) }

let private vPow =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Pow(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Pow(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Pow(x, y, o) }

let private vAtan2 =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Atan2(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Atan2(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Atan2(x, y, o) }

// Since .NET 9, TensorPrimitives.Max/Min are IEEE 754-2019 maximum/minimum: NaN propagates,
// as XLA's max/min do (lax.max(nan, 1) = nan).
let private vMax =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Max(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Max(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Max(y, x, o) }

let private vMin =
    { new FloatBinary() with
        member _.VV(x, y, o) = TensorPrimitives.Min(x, y, o)
        member _.VS(x, y, o) = TensorPrimitives.Min(x, y, o)
        member _.SV(x, y, o) = TensorPrimitives.Min(y, x, o) }

// ---- scalar semantics TensorPrimitives does not match ----------------------------------------

// XLA's integer division never traps: x / 0 = -1 (all ones), x % 0 = x, and for int32
// MIN / -1 = MIN, MIN % -1 = 0 (wrapping). .NET would throw on all four.
let private divI32 (x: int) (y: int) = if y = 0 then -1 elif y = -1 then 0 - x else x / y
let private remI32 (x: int) (y: int) = if y = 0 then x elif y = -1 then 0 else x % y
let private divU32 (x: uint32) (y: uint32) = if y = 0u then UInt32.MaxValue else x / y
let private remU32 (x: uint32) (y: uint32) = if y = 0u then x else x % y

// sign keeps ±0 and NaN as they are, as XLA does; Math.Sign would throw on NaN.
let private signF32 (x: float32) = if x > 0.0f then 1.0f elif x < 0.0f then -1.0f else x
let private signF64 (x: float) = if x > 0.0 then 1.0 elif x < 0.0 then -1.0 else x

// .NET's LogP1/ExpM1 are log(1+x) and exp(x)-1, which lose all digits for tiny x. These are
// Goldberg's and Kahan's corrections: exact-rounded 1+x (resp. exp x) with its error divided out.
let log1pF64 (x: float) =
    let u = 1.0 + x
    if u = 1.0 then x
    elif Double.IsPositiveInfinity u then u
    else Math.Log u * (x / (u - 1.0)) // x / (u - 1) is near 1: no overflow for huge x

let expm1F64 (x: float) =
    let u = Math.Exp x
    if u = 1.0 then x
    elif u - 1.0 = -1.0 then -1.0
    elif Double.IsPositiveInfinity u then u
    else (u - 1.0) * (x / Math.Log u)

/// x^y by repeated squaring in x's dtype, as JAX lowers integer_pow (y = 0 gives 1, even for
/// NaN); a negative y is 1 / x^|y| through `recip`.
let inline private power (one: 'T) ([<InlineIfLambda>] recip: 'T -> 'T) (y: int) (x: 'T) : 'T =
    let mutable acc = one
    let mutable square = x
    let mutable e = if y < 0 then uint32 (-(int64 y)) else uint32 y
    while e > 0u do
        if e &&& 1u = 1u then acc <- acc * square
        e <- e >>> 1
        if e > 0u then square <- square * square
    if y < 0 then recip acc else acc

// ---- the kernels, in Prim order ------------------------------------------------------------

let neg x = numeric1 (fun i -> 0 - i) (fun u -> 0u - u) vNeg x
let sign x = scalar1 noBool (fun i -> if i > 0 then 1 elif i < 0 then -1 else 0) (fun u -> if u > 0u then 1u else 0u) signF32 signF64 x
let floor x = float1 vFloor x
let ceil x = float1 vCeil x
let round (method: RoundingMethod) x =
    match method with
    | AwayFromZero -> float1 vRoundAway x
    | ToNearestEven -> float1 vRoundEven x

let isFinite (x: ArrayData) =
    match x with
    | F32Data a -> BoolData(map Single.IsFinite a)
    | F64Data a -> BoolData(map Double.IsFinite a)
    | BoolData _ | I32Data _ | U32Data _ -> unreachable "is_finite on a non-float"

let exp x = float1 vExp x
let log x = float1 vLog x
let log1p x = floatScalar1 (fun f -> float32 (log1pF64 (float f))) log1pF64 x
let expm1 x = floatScalar1 (fun f -> float32 (expm1F64 (float f))) expm1F64 x
let sin x = float1 vSin x
let cos x = float1 vCos x
let tan x = float1 vTan x
// TensorPrimitives.Tanh (10.0.0) is wrong near 0 (tanh 0f = 6e-8, tanh 1e-40 = 0): use the CRT's.
let tanh x = floatScalar1 MathF.Tanh Math.Tanh x
let logistic x = float1 vSigmoid x
let sqrt x = float1 vSqrt x
let rsqrt x = float1 vRsqrt x
// |int32 MIN| wraps to MIN, as in XLA; Math.Abs would throw.
let abs x = numeric1 (fun i -> if i < 0 then 0 - i else i) id vAbs x

let integerPow (y: int) x =
    scalar1 noBool (power 1 (divI32 1) y) (power 1u (divU32 1u) y)
        (power 1.0f (fun a -> 1.0f / a) y) (power 1.0 (fun a -> 1.0 / a) y) x

/// Logical not on bool, bitwise not on integers.
let not' x =
    match x with
    | BoolData a -> BoolData(map not a)
    | I32Data a -> I32Data(map (~~~) a)
    | U32Data a -> U32Data(map (~~~) a)
    | F32Data _ | F64Data _ -> unreachable "not on a float"

let pow n x y = float2 vPow n x y
let add n x y = any2 (||) (+) (+) vAdd n x y // bool only via add_any: XLA's add on pred is or
let sub n x y = numeric2 (-) (-) vSub n x y
let mul n x y = numeric2 (*) (*) vMul n x y
let div n x y = numeric2 divI32 divU32 vDiv n x y
// .NET's float % is C's (exact) fmod: the result has the dividend's sign. TensorPrimitives.
// Remainder (10.0.0) is not exact for large quotients (-7.15e14 rem -7.3012 = -2.75, not -2.7723...).
let rem n x y = numericScalar2 remI32 remU32 (%) (%) n x y
let max n x y = any2 (||) Operators.max Operators.max vMax n x y
let min n x y = any2 (&&) Operators.min Operators.min vMin n x y
let atan2 n x y = float2 vAtan2 n x y
let eq n x y = compare2 (=) (=) (=) (=) (=) n x y
let ne n x y = compare2 (<>) (<>) (<>) (<>) (<>) n x y
let lt n x y = compare2 (<) (<) (<) (<) (<) n x y
let le n x y = compare2 (<=) (<=) (<=) (<=) (<=) n x y
let gt n x y = compare2 (>) (>) (>) (>) (>) n x y
let ge n x y = compare2 (>=) (>=) (>=) (>=) (>=) n x y
let and' n x y = integral2 (&&) (&&&) (&&&) n x y
let or' n x y = integral2 (||) (|||) (|||) n x y

/// select_n: element i of case which[i]; a bool predicate picks case 0 for false, 1 for true.
/// An int32 predicate outside [0, cases) is clamped: JAX leaves it undefined, and its lowering
/// (a tree of `which < mid` selects) clamps too.
let selectN (n: int) (which: ArrayData) (cases: ArrayData list) : ArrayData =
    let last = cases.Length - 1
    let picks =
        match which with
        | BoolData w -> map (fun b -> if b then 1 else 0) w
        | I32Data w -> map (fun i -> if i < 0 then 0 elif i > last then last else i) w
        | U32Data _ | F32Data _ | F64Data _ -> unreachable "a select_n predicate that is not bool or int32"
    let inline choose (bufs: 'T[][]) =
        let out = Array.zeroCreate n
        for i in 0 .. n - 1 do
            out[i] <- bufs[picks[if picks.Length = 1 then 0 else i]][i]
        out
    let inline buffers () : 'T[][] = cases |> List.map (fun c -> asArray c :?> 'T[]) |> Array.ofList
    match cases.Head with
    | BoolData _ -> BoolData(choose (buffers ()))
    | I32Data _ -> I32Data(choose (buffers ()))
    | U32Data _ -> U32Data(choose (buffers ()))
    | F32Data _ -> F32Data(choose (buffers ()))
    | F64Data _ -> F64Data(choose (buffers ()))

/// convert_element_type, as XLA casts. Float to integer truncates toward zero, sends NaN to 0
/// and saturates out-of-range values (so -1.0 to uint32 is 0): exactly .NET 9+'s conv.i4/conv.u4
/// on every platform. Number to bool is x <> 0 (NaN is true); bool to number is 0 or 1. Between
/// int32 and uint32 the bits are kept (wrapping), as a C cast does.
let inline private castTo (target: DType) ([<InlineIfLambda>] b) ([<InlineIfLambda>] i) ([<InlineIfLambda>] u) ([<InlineIfLambda>] f) ([<InlineIfLambda>] d) (a: 'T[]) =
    match target with
    | Bool -> BoolData(map b a)
    | I32 -> I32Data(map i a)
    | U32 -> U32Data(map u a)
    | F32 -> F32Data(map f a)
    | F64 -> F64Data(map d a)

let convert (target: DType) (x: ArrayData) : ArrayData =
    if NdArray.dtypeOf x = target then x
    else
        match x with
        | BoolData a -> castTo target id (fun b -> if b then 1 else 0) (fun b -> if b then 1u else 0u) (fun b -> if b then 1.0f else 0.0f) (fun b -> if b then 1.0 else 0.0) a
        | I32Data a -> castTo target (fun i -> i <> 0) id uint32 float32 float a
        | U32Data a -> castTo target (fun u -> u <> 0u) int id float32 float a
        | F32Data a -> castTo target (fun f -> f <> 0.0f) int uint32 id float a
        | F64Data a -> castTo target (fun d -> d <> 0.0) int uint32 float32 id a
