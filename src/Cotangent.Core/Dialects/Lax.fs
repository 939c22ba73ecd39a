/// The lax dialect: JAX's tensor primitives as one union with typed params, their JAX names,
/// and their params as JAX spells them in a jaxpr. Type rules live in LaxTypes.fs, reference
/// semantics in Backend/Interpreter.fs; every table over Prim is an exhaustive match.
module Cotangent.Core.Dialects.Lax

open Cotangent.Core

/// `round`'s rounding_method: JAX's RoundingMethod enum (printed as its integer).
type RoundingMethod =
    | AwayFromZero
    | ToNearestEven

/// dot_general's dimension numbers: (lhs, rhs) contracting dims and (lhs, rhs) batch dims.
type DotDims =
    { LhsContract: int list
      RhsContract: int list
      LhsBatch: int list
      RhsBatch: int list }

/// A lax primitive with its params. Cases are in the order of the dialect's documentation; every
/// rule table over Prim follows this order, one arm per case.
type Prim =
    // unary elementwise
    | Neg
    | Sign
    | Floor
    | Ceil
    | Round of roundingMethod: RoundingMethod
    | IsFinite
    | Exp
    | Log
    | Log1p
    | Expm1
    | Sin
    | Cos
    | Tan
    | Tanh
    | Logistic
    | Sqrt
    | Rsqrt
    | Abs
    | IntegerPow of y: int
    | Not
    // binary elementwise
    | Pow
    | Add
    | Sub
    | Mul
    | Div
    | Rem
    | Max
    | Min
    | Atan2
    | Eq
    | Ne
    | Lt
    | Le
    | Gt
    | Ge
    | And
    | Or
    | AddAny
    // n-ary elementwise: select_n(which, case0, case1, ...)
    | SelectN
    // dtype and shape
    | ConvertElementType of newDtype: DType * weakType: bool
    | BroadcastInDim of shape: int list * broadcastDimensions: int list
    | Reshape of newSizes: int list
    | Squeeze of dimensions: int list
    | ExpandDims of dimensions: int list
    | Transpose of permutation: int list
    // reductions
    | ReduceSum of axes: int list
    | ReduceMax of axes: int list
    | ReduceMin of axes: int list
    | ReduceProd of axes: int list
    | Argmax of axes: int list * indexDtype: DType
    | Argmin of axes: int list * indexDtype: DType
    | Cumsum of axis: int * reverse: bool
    // contraction
    | DotGeneral of dims: DotDims * preferredElementType: DType option
    // slicing and assembly
    | Slice of startIndices: int list * limitIndices: int list * strides: int list option
    | DynamicSlice of sliceSizes: int list
    | DynamicUpdateSlice
    | Concatenate of dimension: int
    | Pad of paddingConfig: (int * int * int) list
    | Rev of dimensions: int list
    // constructors
    | Iota of dtype: DType * shape: int list * dimension: int
    // autodiff helpers
    | StopGradient
    // regions
    | Pjit of name: string * jaxpr: ClosedJaxpr<Prim>
    /// scan(consts..., init..., xs...) -> (carry..., ys...): the body maps (consts, carry, x_i) to
    /// (carry, y_i) for i in 0..length-1 (length-1..0 when reversed); ys stack y_i on a new axis 0.
    | Scan of scan: ScanParams

/// scan's params (JAX prints `linear` all False and `unroll=1` here: nothing reads them).
and ScanParams =
    { Length: int
      Reverse: bool
      NumConsts: int
      NumCarry: int
      Jaxpr: ClosedJaxpr<Prim> }

/// A param's value as the printer sees it: text, or a sub-jaxpr printed as a nested block.
type ParamValue =
    | Text of string
    | SubJaxpr of ClosedJaxpr<Prim>

/// The primitive's JAX name.
let name (prim: Prim) =
    match prim with
    | Neg -> "neg"
    | Sign -> "sign"
    | Floor -> "floor"
    | Ceil -> "ceil"
    | Round _ -> "round"
    | IsFinite -> "is_finite"
    | Exp -> "exp"
    | Log -> "log"
    | Log1p -> "log1p"
    | Expm1 -> "expm1"
    | Sin -> "sin"
    | Cos -> "cos"
    | Tan -> "tan"
    | Tanh -> "tanh"
    | Logistic -> "logistic"
    | Sqrt -> "sqrt"
    | Rsqrt -> "rsqrt"
    | Abs -> "abs"
    | IntegerPow _ -> "integer_pow"
    | Not -> "not"
    | Pow -> "pow"
    | Add -> "add"
    | Sub -> "sub"
    | Mul -> "mul"
    | Div -> "div"
    | Rem -> "rem"
    | Max -> "max"
    | Min -> "min"
    | Atan2 -> "atan2"
    | Eq -> "eq"
    | Ne -> "ne"
    | Lt -> "lt"
    | Le -> "le"
    | Gt -> "gt"
    | Ge -> "ge"
    | And -> "and"
    | Or -> "or"
    | AddAny -> "add_any"
    | SelectN -> "select_n"
    | ConvertElementType _ -> "convert_element_type"
    | BroadcastInDim _ -> "broadcast_in_dim"
    | Reshape _ -> "reshape"
    | Squeeze _ -> "squeeze"
    | ExpandDims _ -> "expand_dims"
    | Transpose _ -> "transpose"
    | ReduceSum _ -> "reduce_sum"
    | ReduceMax _ -> "reduce_max"
    | ReduceMin _ -> "reduce_min"
    | ReduceProd _ -> "reduce_prod"
    | Argmax _ -> "argmax"
    | Argmin _ -> "argmin"
    | Cumsum _ -> "cumsum"
    | DotGeneral _ -> "dot_general"
    | Slice _ -> "slice"
    | DynamicSlice _ -> "dynamic_slice"
    | DynamicUpdateSlice -> "dynamic_update_slice"
    | Concatenate _ -> "concatenate"
    | Pad _ -> "pad"
    | Rev _ -> "rev"
    | Iota _ -> "iota"
    | StopGradient -> "stop_gradient"
    | Pjit _ -> "pjit"
    | Scan _ -> "scan"

let private tuple (xs: int list) = Text(Shape.pyTuple xs)
let private pyList (xs: int list) = "[" + System.String.Join(", ", xs) + "]"
let private pyBool b = Text(if b then "True" else "False")
let private dtype d = Text(DType.name d)

/// The params as JAX spells them, in the order JAX prints them (sorted by key, except pjit,
/// whose printing rule puts `name` first).
let paramsOf (prim: Prim) : (string * ParamValue) list =
    match prim with
    | Neg | Sign | Floor | Ceil | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | Not -> []
    | Round m -> [ "rounding_method", Text(match m with AwayFromZero -> "0" | ToNearestEven -> "1") ]
    | IntegerPow y -> [ "y", Text(string y) ]
    | Pow | Add | Sub | Mul | Div | Rem | Max | Min | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And
    | Or | AddAny | SelectN -> []
    | ConvertElementType(d, weak) -> [ "new_dtype", dtype d; "weak_type", pyBool weak ]
    | BroadcastInDim(shape, dims) -> [ "broadcast_dimensions", tuple dims; "shape", tuple shape ]
    | Reshape sizes -> [ "dimensions", Text "None"; "new_sizes", tuple sizes ]
    | Squeeze dims -> [ "dimensions", tuple dims ]
    | ExpandDims dims -> [ "dimensions", tuple dims ]
    | Transpose perm -> [ "permutation", tuple perm ]
    | ReduceSum axes | ReduceMax axes | ReduceMin axes | ReduceProd axes -> [ "axes", tuple axes ]
    | Argmax(axes, d) | Argmin(axes, d) -> [ "axes", tuple axes; "index_dtype", dtype d ]
    | Cumsum(axis, rev) -> [ "axis", Text(string axis); "reverse", pyBool rev ]
    | DotGeneral(dims, pref) ->
        // JAX's printing rule drops None-valued params (precision=None) and shows lists
        let nums =
            $"(({pyList dims.LhsContract}, {pyList dims.RhsContract}), ({pyList dims.LhsBatch}, {pyList dims.RhsBatch}))"
        [ "dimension_numbers", Text nums ]
        @ (match pref with Some d -> [ "preferred_element_type", dtype d ] | None -> [])
    | Slice(starts, limits, strides) ->
        [ "limit_indices", tuple limits
          "start_indices", tuple starts
          "strides", (match strides with Some s -> tuple s | None -> Text "None") ]
    | DynamicSlice sizes -> [ "slice_sizes", tuple sizes ]
    | DynamicUpdateSlice -> []
    | Concatenate dim -> [ "dimension", Text(string dim) ]
    | Pad config ->
        let one (lo, hi, interior) = $"({lo}, {hi}, {interior})"
        let body =
            match config with
            | [ c ] -> one c + ","
            | cs -> System.String.Join(", ", List.map one cs)
        [ "padding_config", Text("(" + body + ")") ]
    | Rev dims -> [ "dimensions", tuple dims ]
    | Iota(d, shape, dim) -> [ "dimension", Text(string dim); "dtype", dtype d; "shape", tuple shape ]
    | StopGradient -> []
    | Pjit(n, jaxpr) -> [ "name", Text n; "jaxpr", SubJaxpr jaxpr ]
    | Scan s ->
        let linearText = Shape.pyTuple (List.replicate s.Jaxpr.Jaxpr.InVars.Length "False")
        [ "_split_transpose", pyBool false
          "jaxpr", SubJaxpr s.Jaxpr
          "length", Text(string s.Length)
          "linear", Text linearText
          "num_carry", Text(string s.NumCarry)
          "num_consts", Text(string s.NumConsts)
          "reverse", pyBool s.Reverse
          "unroll", Text "1" ]

/// A scan's operands (or its body's inputs) split into its consts, carries and xs.
let scanGroups (s: ScanParams) (xs: 'a list) : 'a list * 'a list * 'a list =
    List.take s.NumConsts xs, xs |> List.skip s.NumConsts |> List.take s.NumCarry, List.skip (s.NumConsts + s.NumCarry) xs

/// The sub-programs (regions) a primitive carries.
let regions (prim: Prim) : ClosedJaxpr<Prim> list =
    match prim with
    | Pjit(_, jaxpr) -> [ jaxpr ]
    | Scan s -> [ s.Jaxpr ]
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh
    | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not | Pow | Add | Sub | Mul | Div | Rem | Max | Min
    | Atan2 | Eq | Ne | Lt | Le | Gt | Ge | And | Or | AddAny | SelectN | ConvertElementType _
    | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _
    | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _
    | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient -> []

/// lax-dialect IR.
type LaxEqn = Eqn<Prim>
type LaxJaxpr = Jaxpr<Prim>
type LaxClosedJaxpr = ClosedJaxpr<Prim>
