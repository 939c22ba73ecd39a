/// jax.lax on values: one function per primitive that binds it, so each works eagerly and under
/// every trace. No promotion or broadcasting happens here (that is Numpy's job): operands must
/// already satisfy the primitive's type rule, as in jax.lax.
module Cotangent.Core.LaxOps

open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Tracing

let private un prim (x: Value) = bind1 prim [ x ]
let private bin prim (x: Value) (y: Value) = bind1 prim [ x; y ]

let neg x = un Neg x
let sign x = un Sign x
let floor x = un Floor x
let ceil x = un Ceil x
let round roundingMethod x = un (Round roundingMethod) x
let isFinite x = un IsFinite x
let exp x = un Exp x
let log x = un Log x
let log1p x = un Log1p x
let expm1 x = un Expm1 x
let sin x = un Sin x
let cos x = un Cos x
let tan x = un Tan x
let tanh x = un Tanh x
let logistic x = un Logistic x
let sqrt x = un Sqrt x
let rsqrt x = un Rsqrt x
let abs x = un Abs x
let integerPow (y: int) x = un (IntegerPow y) x
let bitwiseNot x = un Not x
let pow x y = bin Pow x y
let add x y = bin Add x y
let sub x y = bin Sub x y
let mul x y = bin Mul x y
let div x y = bin Div x y
let rem x y = bin Rem x y
let max x y = bin Max x y
let min x y = bin Min x y
let atan2 x y = bin Atan2 x y
let eq x y = bin Eq x y
let ne x y = bin Ne x y
let lt x y = bin Lt x y
let le x y = bin Le x y
let gt x y = bin Gt x y
let ge x y = bin Ge x y
let bitwiseAnd x y = bin And x y
let bitwiseOr x y = bin Or x y
let addAny x y = bin AddAny x y
/// select_n(which, case0, case1, ...): case `which` per element.
let selectN (which: Value) (cases: Value list) = bind1 SelectN (which :: cases)
/// lax.select(pred, onTrue, onFalse) = select_n(pred, onFalse, onTrue).
let select pred onTrue onFalse = selectN pred [ onFalse; onTrue ]
let convertElementType (dtype: DType) (weak: bool) x = un (ConvertElementType(dtype, weak)) x
let broadcastInDim (shape: int list) (dims: int list) x = un (BroadcastInDim(shape, dims)) x
let reshape (newSizes: int list) x = un (Reshape newSizes) x
let squeeze (dims: int list) x = un (Squeeze dims) x
let expandDims (dims: int list) x = un (ExpandDims dims) x
let transpose (perm: int list) x = un (Transpose perm) x
let reduceSum (axes: int list) x = un (ReduceSum axes) x
let reduceMax (axes: int list) x = un (ReduceMax axes) x
let reduceMin (axes: int list) x = un (ReduceMin axes) x
let reduceProd (axes: int list) x = un (ReduceProd axes) x
let argmax (axis: int) (indexDType: DType) x = un (Argmax([ axis ], indexDType)) x
let argmin (axis: int) (indexDType: DType) x = un (Argmin([ axis ], indexDType)) x
let cumsum (axis: int) (reverse: bool) x = un (Cumsum(axis, reverse)) x
let dotGeneral (dims: DotDims) (preferred: DType option) x y = bin (DotGeneral(dims, preferred)) x y
let slice (starts: int list) (limits: int list) (strides: int list option) x = un (Slice(starts, limits, strides)) x
let dynamicSlice (sizes: int list) (x: Value) (indices: Value list) = bind1 (DynamicSlice sizes) (x :: indices)
let dynamicUpdateSlice (x: Value) (update: Value) (indices: Value list) = bind1 DynamicUpdateSlice (x :: update :: indices)
let concatenate (dimension: int) (xs: Value list) = bind1 (Concatenate dimension) xs
let pad (config: (int * int * int) list) x padValue = bin (Pad config) x padValue
let rev (dims: int list) x = un (Rev dims) x
let iota (dtype: DType) (shape: int list) (dimension: int) = bind1 (Iota(dtype, shape, dimension)) []
let stopGradient x = un StopGradient x

/// A scalar constant of `dtype` (strong) as a value.
let constant (dtype: DType) (value: float) = Concrete(NdArray.scalar dtype false value)
