/// IL for one scalar lax op (the loop dialect's Compute): takes the op, its operand atoms and a
/// callback that pushes an operand; leaves the result on the IL stack. Guarantees: the value is
/// bit for bit what Interpreter.eval gives on rank-0 arrays (the same .NET scalar functions,
/// XLA's non-trapping integer division, NaN-propagating max/min, saturating float->int casts).
module Cotangent.Core.Backend.EmitScalar

open System
open System.Reflection
open System.Reflection.Emit
open System.Runtime.CompilerServices
open Cotangent.Core
open Cotangent.Core.Dialects.Lax

/// Scalar semantics IL alone does not give; small, so RyuJIT inlines the calls.
[<AbstractClass; Sealed>]
type ScalarOps =
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member SignI32(x: int) = if x > 0 then 1 elif x < 0 then -1 else 0
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member SignU32(x: uint32) = if x > 0u then 1u else 0u
    // sign keeps ±0 and NaN, as XLA does
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member SignF32(x: float32) = if x > 0.0f then 1.0f elif x < 0.0f then -1.0f else x
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member SignF64(x: float) = if x > 0.0 then 1.0 elif x < 0.0 then -1.0 else x
    // |int32 MIN| wraps to MIN
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member AbsI32(x: int) = if x < 0 then 0 - x else x
    // x / 0 = -1 (all ones), x % 0 = x, MIN / -1 = MIN, MIN % -1 = 0: XLA never traps
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member DivI32(x: int, y: int) = if y = 0 then -1 elif y = -1 then 0 - x else x / y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member RemI32(x: int, y: int) = if y = 0 then x elif y = -1 then 0 else x % y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member DivU32(x: uint32, y: uint32) = if y = 0u then UInt32.MaxValue else x / y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member RemU32(x: uint32, y: uint32) = if y = 0u then x else x % y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member MaxI32(x: int, y: int) = max x y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member MinI32(x: int, y: int) = min x y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member MaxU32(x: uint32, y: uint32) = max x y
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member MinU32(x: uint32, y: uint32) = min x y
    /// select_n's int32 predicate clamped to [0, last], as the interpreter does.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member ClampIndex(i: int, last: int) = if i < 0 then 0 elif i > last then last else i

    // The interpreter's Goldberg/Kahan log1p and expm1 (Elementwise.fs), in float64 for both widths.
    static member Log1pF64(x: float) = Elementwise.log1pF64 x

    static member Log1pF32(x: float32) = float32 (ScalarOps.Log1pF64(float x))

    static member Expm1F64(x: float) = Elementwise.expm1F64 x

    static member Expm1F32(x: float32) = float32 (ScalarOps.Expm1F64(float x))

let clrType (dtype: DType) : Type =
    match dtype with
    | Bool -> typeof<bool>
    | I32 -> typeof<int>
    | U32 -> typeof<uint32>
    | F32 -> typeof<float32>
    | F64 -> typeof<float>

/// Bytes per element in a buffer (bool is one byte).
let elementSize (dtype: DType) =
    match dtype with
    | Bool -> 1
    | I32 | U32 | F32 -> 4
    | F64 -> 8

let private suffix (dtype: DType) =
    match dtype with
    | Bool -> "Bool"
    | I32 -> "I32"
    | U32 -> "U32"
    | F32 -> "F32"
    | F64 -> "F64"

let private methodOf (t: Type) (name: string) (args: Type list) : MethodInfo option =
    match t.GetMethod(name, Array.ofList args) with
    | null -> None
    | m -> Some m

/// The .NET scalar function of a transcendental for f32/f64 (MathF/Math, as TensorPrimitives'
/// scalar path calls them). The one place to plug in VecMath's scalar forms later.
let scalarMath (prim: Prim) (dtype: DType) : MethodInfo option =
    let host, t =
        match dtype with
        | F32 -> typeof<MathF>, typeof<float32>
        | F64 | Bool | I32 | U32 -> typeof<Math>, typeof<float>
    let math name arity = if DType.isFloat dtype then methodOf host name (List.replicate arity t) else None
    let own name = if DType.isFloat dtype then methodOf typeof<ScalarOps> (name + suffix dtype) [ t ] else None
    match prim with
    | Exp -> math "Exp" 1
    | Log -> math "Log" 1
    | Log1p -> own "Log1p"
    | Expm1 -> own "Expm1"
    | Sin -> math "Sin" 1
    | Cos -> math "Cos" 1
    | Tan -> math "Tan" 1
    | Tanh -> math "Tanh" 1
    | Pow -> math "Pow" 2
    | Atan2 -> math "Atan2" 2
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Logistic | Sqrt | Rsqrt | Abs | IntegerPow _ | Not
    | Add | Sub | Mul | Div | Rem | Max | Min | Eq | Ne | Lt | Le | Gt | Ge | And | Or | AddAny | SelectN
    | ConvertElementType _ | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _
    | ReduceSum _ | ReduceMax _ | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _
    | Slice _ | DynamicSlice _ | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient
    | Pjit _ | Scan _ -> None

/// Pushes a rank-0 literal as a value of its dtype (bool as int32 0/1).
let emitLiteral (il: ILGenerator) (a: NdArray) =
    match a.Data with
    | BoolData d -> il.Emit(OpCodes.Ldc_I4, (if d[0] then 1 else 0))
    | I32Data d -> il.Emit(OpCodes.Ldc_I4, d[0])
    | U32Data d -> il.Emit(OpCodes.Ldc_I4, int d[0])
    | F32Data d -> il.Emit(OpCodes.Ldc_R4, d[0])
    | F64Data d -> il.Emit(OpCodes.Ldc_R8, d[0])

let emitOne (il: ILGenerator) (dtype: DType) = emitLiteral il (NdArray.scalar dtype false 1.0)

let emitLoadIndirect (il: ILGenerator) (dtype: DType) =
    match dtype with
    | Bool -> il.Emit OpCodes.Ldind_U1
    | I32 -> il.Emit OpCodes.Ldind_I4
    | U32 -> il.Emit OpCodes.Ldind_U4
    | F32 -> il.Emit OpCodes.Ldind_R4
    | F64 -> il.Emit OpCodes.Ldind_R8

let emitStoreIndirect (il: ILGenerator) (dtype: DType) =
    match dtype with
    | Bool -> il.Emit OpCodes.Stind_I1
    | I32 | U32 -> il.Emit OpCodes.Stind_I4
    | F32 -> il.Emit OpCodes.Stind_R4
    | F64 -> il.Emit OpCodes.Stind_R8

/// x^|y| by repeated squaring unrolled at emit time (the interpreter's order of multiplies, so
/// equal bit for bit), then `recip` of the result for y < 0. Works for scalars and vectors.
let emitPower (il: ILGenerator) (valueType: Type) (y: int) (loadX: unit -> unit) (loadOne: unit -> unit) (mul: unit -> unit) (recip: (unit -> unit) -> unit) =
    let acc = il.DeclareLocal valueType
    let square = il.DeclareLocal valueType
    loadX ()
    il.Emit(OpCodes.Stloc, square)
    loadOne ()
    il.Emit(OpCodes.Stloc, acc)
    let mutable e = if y < 0 then uint32 (-(int64 y)) else uint32 y
    while e > 0u do
        if e &&& 1u = 1u then
            il.Emit(OpCodes.Ldloc, acc)
            il.Emit(OpCodes.Ldloc, square)
            mul ()
            il.Emit(OpCodes.Stloc, acc)
        e <- e >>> 1
        if e > 0u then
            il.Emit(OpCodes.Ldloc, square)
            il.Emit(OpCodes.Ldloc, square)
            mul ()
            il.Emit(OpCodes.Stloc, square)
    if y < 0 then recip (fun () -> il.Emit(OpCodes.Ldloc, acc)) else il.Emit(OpCodes.Ldloc, acc)

/// convert_element_type of the value on the stack, as Elementwise.convert casts.
let private emitConvert (il: ILGenerator) (source: DType) (target: DType) =
    let op (c: OpCode) = il.Emit c
    match source, target with
    | s, t when s = t -> ()
    | Bool, (I32 | U32) | I32, U32 | U32, I32 -> ()
    | (Bool | I32), F32 -> op OpCodes.Conv_R4
    | (Bool | I32), F64 -> op OpCodes.Conv_R8
    | (I32 | U32), Bool -> op OpCodes.Ldc_I4_0; op OpCodes.Cgt_Un
    | U32, F32 -> op OpCodes.Conv_R_Un; op OpCodes.Conv_R4
    | U32, F64 -> op OpCodes.Conv_R_Un; op OpCodes.Conv_R8
    | F32, Bool -> il.Emit(OpCodes.Ldc_R4, 0.0f); op OpCodes.Ceq; op OpCodes.Ldc_I4_0; op OpCodes.Ceq
    | F64, Bool -> il.Emit(OpCodes.Ldc_R8, 0.0); op OpCodes.Ceq; op OpCodes.Ldc_I4_0; op OpCodes.Ceq
    | (F32 | F64), I32 -> op OpCodes.Conv_I4
    | (F32 | F64), U32 -> op OpCodes.Conv_U4
    | F32, F64 -> op OpCodes.Conv_R8
    | F64, F32 -> op OpCodes.Conv_R4
    | _ -> raise (CotangentException("convert_element_type", $"emit: no cast from {DType.shortName source} to {DType.shortName target}", None))

/// select_n(which, case0, case1, ...): a branch for a bool predicate, a clamped switch for int32.
let private emitSelect (il: ILGenerator) (args: Atom list) (load: Atom -> unit) =
    match args with
    | [ which; case0; case1 ] when (Atom.aval which).DType = Bool ->
        let otherwise = il.DefineLabel()
        let finish = il.DefineLabel()
        load which
        il.Emit(OpCodes.Brfalse, otherwise)
        load case1
        il.Emit(OpCodes.Br, finish)
        il.MarkLabel otherwise
        load case0
        il.MarkLabel finish
    | which :: cases when not cases.IsEmpty ->
        let finish = il.DefineLabel()
        let labels = cases |> List.map (fun _ -> il.DefineLabel()) |> Array.ofList
        load which
        il.Emit(OpCodes.Ldc_I4, cases.Length - 1)
        il.Emit(OpCodes.Call, typeof<ScalarOps>.GetMethod("ClampIndex") |> nonNull)
        il.Emit(OpCodes.Switch, labels)
        il.Emit(OpCodes.Br, labels[labels.Length - 1])
        cases |> List.iteri (fun k c ->
            il.MarkLabel labels[k]
            load c
            il.Emit(OpCodes.Br, finish))
        il.MarkLabel finish
    | _ -> raise (CotangentException("select_n", "emit: select_n without cases", None))

/// Pushes `prim` applied to `args` (each pushed by `load`, in the order the op needs them).
let emitScalar (il: ILGenerator) (prim: Prim) (args: Atom list) (load: Atom -> unit) : unit =
    let dtype = (Atom.aval args.Head).DType
    let fail () : unit =
        let avals = String.Join(", ", args |> List.map (Atom.aval >> Aval.str))
        raise (CotangentException(name prim, $"emit: no scalar code for operands ({avals})", None))
    let op (c: OpCode) = il.Emit c
    let call (m: MethodInfo) = il.Emit(OpCodes.Call, m)
    let own (name: string) () =
        match methodOf typeof<ScalarOps> (name + suffix dtype) (args |> List.map (fun _ -> clrType dtype)) with
        | Some m -> call m
        | None -> fail ()
    let floatMath (name: string) () =
        match dtype with
        | F32 -> call (typeof<MathF>.GetMethod(name, [| typeof<float32> |]) |> nonNull)
        | F64 -> call (typeof<Math>.GetMethod(name, [| typeof<float> |]) |> nonNull)
        | Bool | I32 | U32 -> fail ()
    let math () =
        match scalarMath prim dtype with
        | Some m -> call m
        | None -> fail ()
    let loadAll () = List.iter load args
    let apply (f: unit -> unit) = loadAll (); f ()
    let onFloat f () = if DType.isFloat dtype then f () else fail ()
    let onNumeric f () = if dtype = Bool then fail () else f ()
    let negate () = op OpCodes.Ldc_I4_0; op OpCodes.Ceq
    // unsigned and float compare through the unordered/unsigned forms, so NaN gives false
    let unordered = dtype = U32 || DType.isFloat dtype
    match prim with
    | Neg -> apply (onNumeric (fun () -> op OpCodes.Neg))
    | Sign -> apply (own "Sign")
    | Floor -> apply (floatMath "Floor")
    | Ceil -> apply (floatMath "Ceiling")
    | Round rounding ->
        let mode = match rounding with AwayFromZero -> MidpointRounding.AwayFromZero | ToNearestEven -> MidpointRounding.ToEven
        loadAll ()
        il.Emit(OpCodes.Ldc_I4, int mode)
        match dtype with
        | F32 -> call (typeof<MathF>.GetMethod("Round", [| typeof<float32>; typeof<MidpointRounding> |]) |> nonNull)
        | F64 -> call (typeof<Math>.GetMethod("Round", [| typeof<float>; typeof<MidpointRounding> |]) |> nonNull)
        | Bool | I32 | U32 -> fail ()
    | IsFinite ->
        match dtype with
        | F32 -> apply (fun () -> call (typeof<Single>.GetMethod("IsFinite", [| typeof<float32> |]) |> nonNull))
        | F64 -> apply (fun () -> call (typeof<Double>.GetMethod("IsFinite", [| typeof<float> |]) |> nonNull))
        | Bool | I32 | U32 -> fail ()
    | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh -> apply math
    | Logistic ->
        // TensorPrimitives.Sigmoid's scalar form: 1 / (1 + exp(-x))
        if not (DType.isFloat dtype) then fail ()
        emitOne il dtype
        emitOne il dtype
        apply (fun () -> op OpCodes.Neg)
        match scalarMath Exp dtype with
        | Some m -> call m
        | None -> fail ()
        op OpCodes.Add
        op OpCodes.Div
    | Sqrt -> apply (floatMath "Sqrt")
    | Rsqrt -> onFloat (fun () -> emitOne il dtype; apply (floatMath "Sqrt"); op OpCodes.Div) ()
    | Abs ->
        match dtype with
        | I32 -> apply (own "Abs")
        | U32 -> loadAll ()
        | F32 | F64 -> apply (floatMath "Abs")
        | Bool -> fail ()
    | IntegerPow y ->
        let recip (loadAcc: unit -> unit) =
            emitOne il dtype
            loadAcc ()
            match dtype with
            | F32 | F64 -> op OpCodes.Div
            | I32 | U32 -> own "Div" ()
            | Bool -> fail ()
        if dtype = Bool then fail ()
        emitPower il (clrType dtype) y (fun () -> loadAll ()) (fun () -> emitOne il dtype) (fun () -> op OpCodes.Mul) recip
    | Not ->
        match dtype with
        | Bool -> apply negate
        | I32 | U32 -> apply (fun () -> op OpCodes.Not)
        | F32 | F64 -> fail ()
    | Pow | Atan2 -> apply math
    | Add | AddAny -> apply (fun () -> op (if dtype = Bool then OpCodes.Or else OpCodes.Add))
    | Sub -> apply (onNumeric (fun () -> op OpCodes.Sub))
    | Mul -> apply (onNumeric (fun () -> op OpCodes.Mul))
    | Div -> apply (if DType.isFloat dtype then (fun () -> op OpCodes.Div) else own "Div")
    | Rem -> apply (if DType.isFloat dtype then (fun () -> op OpCodes.Rem) else own "Rem")
    | Max ->
        match dtype with
        | Bool -> apply (fun () -> op OpCodes.Or)
        | I32 | U32 -> apply (own "Max")
        | F32 -> apply (fun () -> call (typeof<MathF>.GetMethod("Max", [| typeof<float32>; typeof<float32> |]) |> nonNull))
        | F64 -> apply (fun () -> call (typeof<Math>.GetMethod("Max", [| typeof<float>; typeof<float> |]) |> nonNull))
    | Min ->
        match dtype with
        | Bool -> apply (fun () -> op OpCodes.And)
        | I32 | U32 -> apply (own "Min")
        | F32 -> apply (fun () -> call (typeof<MathF>.GetMethod("Min", [| typeof<float32>; typeof<float32> |]) |> nonNull))
        | F64 -> apply (fun () -> call (typeof<Math>.GetMethod("Min", [| typeof<float>; typeof<float> |]) |> nonNull))
    | Eq -> apply (fun () -> op OpCodes.Ceq)
    | Ne -> apply (fun () -> op OpCodes.Ceq; negate ())
    | Lt -> apply (fun () -> op (if dtype = U32 then OpCodes.Clt_Un else OpCodes.Clt))
    | Le -> apply (fun () -> op (if unordered then OpCodes.Cgt_Un else OpCodes.Cgt); negate ())
    | Gt -> apply (fun () -> op (if dtype = U32 then OpCodes.Cgt_Un else OpCodes.Cgt))
    | Ge -> apply (fun () -> op (if unordered then OpCodes.Clt_Un else OpCodes.Clt); negate ())
    | And -> apply (fun () -> if DType.isFloat dtype then fail () else op OpCodes.And)
    | Or -> apply (fun () -> if DType.isFloat dtype then fail () else op OpCodes.Or)
    | SelectN -> emitSelect il args load
    | ConvertElementType(target, _) -> apply (fun () -> emitConvert il dtype target)
    | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _
    | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _
    | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient | Pjit _ | Scan _ ->
        raise (CotangentException(name prim, "emit: not an elementwise op; the loop dialect runs it as a loop.call", None))
