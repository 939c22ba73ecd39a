/// IL for one lanewise vec-dialect Compute on Vector256<f32|f64> (masks for comparisons), and
/// the vec ops' helpers (splat, reduce). Takes the op and a callback pushing an operand as a
/// vector; leaves the vector on the IL stack. Guarantees: lane i equals EmitScalar's value on the
/// lanes i, bit for bit, except for the transcendentals routed through `vectorMath`.
module Cotangent.Core.Backend.EmitVector

open System
open System.Collections.Concurrent
open System.Reflection
open System.Reflection.Emit
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects
open Cotangent.Core.Backend.EmitScalar

/// Vector semantics the BCL has no single method for; small, so RyuJIT inlines them.
[<AbstractClass; Sealed>]
type VectorOps =
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member SignF32(x: Vector256<float32>) =
        let zero = Vector256<float32>.Zero
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, zero), Vector256<float32>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, zero), Vector256.Negate Vector256<float32>.One, x))
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member SignF64(x: Vector256<float>) =
        let zero = Vector256<float>.Zero
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, zero), Vector256<float>.One,
            Vector256.ConditionalSelect(Vector256.LessThan(x, zero), Vector256.Negate Vector256<float>.One, x))
    // x - x is 0 exactly when x is finite
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member IsFiniteF32(x: Vector256<float32>) = Vector256.Equals(Vector256.Subtract(x, x), Vector256<float32>.Zero)
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    static member IsFiniteF64(x: Vector256<float>) = Vector256.Equals(Vector256.Subtract(x, x), Vector256<float>.Zero)
    // Horizontal reductions lane by lane with the scalar semantics (NaN-propagating max/min).
    static member ProdF32(x: Vector256<float32>) =
        let mutable acc = x.GetElement 0
        for i in 1..7 do acc <- acc * x.GetElement i
        acc
    static member ProdF64(x: Vector256<float>) = x.GetElement 0 * x.GetElement 1 * x.GetElement 2 * x.GetElement 3
    static member MaxF32(x: Vector256<float32>) =
        let h = Vector128.Max(x.GetLower(), x.GetUpper())
        MathF.Max(MathF.Max(h.GetElement 0, h.GetElement 1), MathF.Max(h.GetElement 2, h.GetElement 3))
    static member MinF32(x: Vector256<float32>) =
        let h = Vector128.Min(x.GetLower(), x.GetUpper())
        MathF.Min(MathF.Min(h.GetElement 0, h.GetElement 1), MathF.Min(h.GetElement 2, h.GetElement 3))
    static member MaxF64(x: Vector256<float>) = Math.Max(Math.Max(x.GetElement 0, x.GetElement 1), Math.Max(x.GetElement 2, x.GetElement 3))
    static member MinF64(x: Vector256<float>) = Math.Min(Math.Min(x.GetElement 0, x.GetElement 1), Math.Min(x.GetElement 2, x.GetElement 3))

/// The element type of a Bool[W] mask's vector: the float type with W lanes.
let maskElement (lanes: int) =
    match lanes with
    | 8 -> F32
    | 4 -> F64
    | w -> raise (CotangentException("", $"emit: no Vector256 mask of {w} lanes", None))

let vectorType (dtype: DType) : Type =
    match dtype with
    | F32 -> typeof<Vector256<float32>>
    | F64 -> typeof<Vector256<float>>
    | I32 -> typeof<Vector256<int>>
    | U32 -> typeof<Vector256<uint32>>
    | Bool -> raise (CotangentException("", $"emit: no vector code for {DType.shortName dtype}", None))

/// The IL type of a vector var: its float vector, or for a mask the float vector of its width.
let vectorTypeOf (aval: Aval) =
    if aval.DType = Bool then vectorType (maskElement aval.Shape[0]) else vectorType aval.DType

let private vector256 = typeof<Vector256<float32>>.Assembly.GetType("System.Runtime.Intrinsics.Vector256") |> nonNull
let private methods = ConcurrentDictionary<string * DType * int, MethodInfo option>()
let private overloads = ConcurrentDictionary<string * DType * Type list, MethodInfo option>()

/// Vector256.`name` instantiated at `dtype`, with `arity` parameters that are all vectors unless
/// `pars` says otherwise (the BCL's overloads differ in operand kinds: Multiply(V, T) ...).
/// Cached: a reflection search over Vector256's hundreds of methods costs microseconds.
let vectorMethodWith (name: string) (dtype: DType) (pars: Type list) : MethodInfo option =
    overloads.GetOrAdd((name, dtype, pars), fun (name, dtype, pars) ->
        let element = clrType dtype
        let wanted = Array.ofList pars
        vector256.GetMethods()
        |> Array.tryPick (fun m ->
            if m.Name <> name then None
            else
                let inst =
                    if not m.IsGenericMethodDefinition then Some m
                    elif m.GetGenericArguments().Length = 1 then (try Some(m.MakeGenericMethod element) with :? ArgumentException -> None)
                    else None
                inst |> Option.filter (fun m -> (m.GetParameters() |> Array.map (fun p -> p.ParameterType)) = wanted)))

/// Vector256<T>'s operator for a Vector256 function: the JIT expands operators as intrinsics even
/// in methods too big for its inlining budget, where Vector256.Add & co. stay calls.
let private operatorName (name: string) =
    match name with
    | "Add" -> Some "op_Addition"
    | "Subtract" -> Some "op_Subtraction"
    | "Multiply" -> Some "op_Multiply"
    | "Divide" -> Some "op_Division"
    | "Negate" -> Some "op_UnaryNegation"
    | "BitwiseAnd" -> Some "op_BitwiseAnd"
    | "BitwiseOr" -> Some "op_BitwiseOr"
    | "OnesComplement" -> Some "op_OnesComplement"
    | _ -> None

let vectorMethod (name: string) (dtype: DType) (arity: int) : MethodInfo option =
    methods.GetOrAdd((name, dtype, arity), fun (name, dtype, arity) ->
        let pars = Array.replicate arity (vectorType dtype)
        match operatorName name |> Option.bind (fun op -> (vectorType dtype).GetMethod(op, pars) |> Option.ofObj) with
        | Some m -> Some m
        | None -> vectorMethodWith name dtype (List.ofArray pars))

let private required (name: string) (dtype: DType) (arity: int) =
    match vectorMethod name dtype arity with
    | Some m -> m
    | None -> raise (CotangentException("", $"emit: Vector256.{name} for {DType.shortName dtype} is missing", None))

/// The Vector256 function of a transcendental: Cotangent.Kernels.VecMath's own approximations
/// (float32 computed in float32; max-ulp bounds in VecMath and checked by its tests).
let vectorMath (prim: Prim) (dtype: DType) : MethodInfo option =
    let own (name: string) =
        if DType.isFloat dtype then
            Some(typeof<Cotangent.Kernels.VecMath>.GetMethod(name, [| vectorType dtype |]) |> nonNull)
        else None
    match prim with
    | Exp -> own "Exp"
    | Log -> own "Log"
    | Sin -> own "Sin"
    | Cos -> own "Cos"
    | Tanh -> own "Tanh"
    | Logistic -> own "Logistic"
    | Log1p | Expm1 | Tan | Pow | Atan2 -> None
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Sqrt | Rsqrt | Abs | IntegerPow _ | Not
    | Add | Sub | Mul | Div | Rem | Max | Min | Eq | Ne | Lt | Le | Gt | Ge | And | Or | AddAny | SelectN
    | ConvertElementType _ | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _
    | ReduceSum _ | ReduceMax _ | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _
    | Slice _ | DynamicSlice _ | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient
    | Pjit _ | Scan _ -> None

/// Whether emitVector compiles `prim` on vectors of `dtype` (the op's operand dtype; Bool for the
/// mask ops not/and/or). The vectorizer asks this before it vectorizes a loop.
let canVectorize (prim: Prim) (dtype: DType) : bool =
    match prim with
    | Not | And | Or -> dtype = Bool
    | Neg | Sign | Floor | Ceil | Round _ | IsFinite | Sqrt | Rsqrt | Abs | IntegerPow _ | Add | Sub | Mul | Div
    | Max | Min | AddAny | SelectN -> DType.isFloat dtype
    | Eq | Ne | Lt | Le | Gt | Ge -> dtype <> Bool
    | ConvertElementType(target, _) -> DType.isFloat dtype && target = dtype
    | Exp | Log | Sin | Cos | Tan | Tanh | Logistic | Log1p | Expm1 | Pow | Atan2 -> (vectorMath prim dtype).IsSome
    | Rem | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _
    | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _
    | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient | Pjit _ | Scan _ -> false

/// Pushes a vector with every lane `value` (on the stack, a scalar of `dtype`).
let emitSplat (il: ILGenerator) (dtype: DType) =
    il.Emit(OpCodes.Call, (vectorMethodWith "Create" dtype [ clrType dtype ]).Value)

let emitVectorOne (il: ILGenerator) (dtype: DType) =
    emitOne il dtype
    emitSplat il dtype

/// vec.load at the address on the stack. ldobj/stobj, not Vector256.Load/Store: those are calls
/// in methods beyond the JIT's inlining budget; `unaligned.` since element addresses are.
let emitVectorLoad (il: ILGenerator) (dtype: DType) =
    il.Emit(OpCodes.Unaligned, 1uy)
    il.Emit(OpCodes.Ldobj, vectorType dtype)

/// vec.store of the vector on the stack to the address below it.
let emitVectorStore (il: ILGenerator) (dtype: DType) =
    il.Emit(OpCodes.Unaligned, 1uy)
    il.Emit(OpCodes.Stobj, vectorType dtype)

/// True where the CPU fuses a multiply and an add (FMA3): `fp-contract` forms vec.fma only then.
let fmaSupported = System.Runtime.Intrinsics.X86.Fma.IsSupported

let private fmaMethods =
    [ F32; F64 ] |> List.map (fun d ->
        let v = vectorType d
        d, typeof<System.Runtime.Intrinsics.X86.Fma>.GetMethod("MultiplyAdd", [| v; v; v |]) |> nonNull)
    |> dict

/// Pops c, b, a; pushes a * b + c rounded once (vfmadd, a hardware intrinsic the JIT always expands).
let emitFma (il: ILGenerator) (dtype: DType) =
    match fmaMethods.TryGetValue dtype with
    | true, m -> il.Emit(OpCodes.Call, m)
    | _ -> raise (CotangentException("", $"emit: vec.fma of {DType.shortName dtype}: only f32 and f64 vectors fuse", None))

/// vec.reduce of the vector on the stack into a scalar.
let emitReduce (il: ILGenerator) (combiner: Kernel.Combiner) (dtype: DType) =
    let suffix = match dtype with F32 -> "F32" | F64 -> "F64" | Bool | I32 | U32 -> vectorType dtype |> ignore; ""
    match combiner with
    | Kernel.Sum -> il.Emit(OpCodes.Call, required "Sum" dtype 1)
    | Kernel.Prod -> il.Emit(OpCodes.Call, typeof<VectorOps>.GetMethod("Prod" + suffix) |> nonNull)
    | Kernel.Max -> il.Emit(OpCodes.Call, typeof<VectorOps>.GetMethod("Max" + suffix) |> nonNull)
    | Kernel.Min -> il.Emit(OpCodes.Call, typeof<VectorOps>.GetMethod("Min" + suffix) |> nonNull)

/// Pushes `prim` on vectors of element type `dtype` (operands pushed by `load`; masks for
/// comparisons, which only select_n, and, or and not consume).
let emitVector (il: ILGenerator) (prim: Prim) (dtype: DType) (args: Atom list) (load: Atom -> unit) : unit =
    let fail () : unit =
        let avals = String.Join(", ", args |> List.map (Atom.aval >> Aval.str))
        raise (CotangentException(name prim, $"emit: no vector code for operands ({avals})", None))
    let integral = dtype = I32 || dtype = U32
    let comparison = match prim with Eq | Ne | Lt | Le | Gt | Ge -> true | _ -> false
    if not (DType.isFloat dtype || (integral && comparison)) then fail ()
    let call (m: MethodInfo) = il.Emit(OpCodes.Call, m)
    let bcl name arity () = call (required name dtype arity)
    // an integer comparison's lanes, all ones or zeros, reinterpreted as the f32 mask of 8 lanes
    let compare name () =
        bcl name 2 ()
        if integral then call (vectorMethodWith "AsSingle" dtype [ vectorType dtype ]).Value
    let own name () = call (typeof<VectorOps>.GetMethod(name + (if dtype = F32 then "F32" else "F64")) |> nonNull)
    let apply (f: unit -> unit) = List.iter load args; f ()
    let math (p: Prim) () =
        match vectorMath p dtype with
        | Some m -> call m
        | None -> fail ()
    match prim with
    | Neg -> apply (bcl "Negate" 1)
    | Sign -> apply (own "Sign")
    | Floor -> apply (bcl "Floor" 1)
    | Ceil -> apply (bcl "Ceiling" 1)
    | Round ToNearestEven -> apply (bcl "Round" 1)
    | Round AwayFromZero ->
        apply (fun () -> il.Emit(OpCodes.Ldc_I4, int MidpointRounding.AwayFromZero))
        call (vectorMethodWith "Round" dtype [ vectorType dtype; typeof<MidpointRounding> ]).Value
    | IsFinite -> apply (own "IsFinite")
    | Exp | Log | Log1p | Expm1 | Sin | Cos | Tan | Tanh | Logistic -> apply (math prim)
    | Sqrt -> apply (bcl "Sqrt" 1)
    | Rsqrt -> emitVectorOne il dtype; apply (bcl "Sqrt" 1); bcl "Divide" 2 ()
    | Abs -> apply (bcl "Abs" 1)
    | IntegerPow y ->
        let recip (loadAcc: unit -> unit) = emitVectorOne il dtype; loadAcc (); bcl "Divide" 2 ()
        emitPower il (vectorType dtype) y (fun () -> List.iter load args) (fun () -> emitVectorOne il dtype) (bcl "Multiply" 2) recip
    | Not -> apply (bcl "OnesComplement" 1)
    | Pow | Atan2 -> apply (math prim)
    | Add | AddAny -> apply (bcl "Add" 2)
    | Sub -> apply (bcl "Subtract" 2)
    | Mul -> apply (bcl "Multiply" 2)
    | Div -> apply (bcl "Divide" 2)
    | Max -> apply (bcl "Max" 2)
    | Min -> apply (bcl "Min" 2)
    | Eq -> apply (compare "Equals")
    | Ne -> apply (fun () -> compare "Equals" (); call (required "OnesComplement" (if integral then F32 else dtype) 1))
    | Lt -> apply (compare "LessThan")
    | Le -> apply (compare "LessThanOrEqual")
    | Gt -> apply (compare "GreaterThan")
    | Ge -> apply (compare "GreaterThanOrEqual")
    | And -> apply (bcl "BitwiseAnd" 2)
    | Or -> apply (bcl "BitwiseOr" 2)
    | SelectN ->
        match args with
        | [ which; case0; case1 ] when (Atom.aval which).DType = Bool ->
            // ConditionalSelect takes the first value where the mask is set: case1 for true
            load which
            load case1
            load case0
            bcl "ConditionalSelect" 3 ()
        | _ -> fail ()
    | ConvertElementType(target, _) -> if target = dtype then apply ignore else fail ()
    | Rem | BroadcastInDim _ | Reshape _ | Squeeze _ | ExpandDims _ | Transpose _ | ReduceSum _ | ReduceMax _
    | ReduceMin _ | ReduceProd _ | Argmax _ | Argmin _ | Cumsum _ | DotGeneral _ | Slice _ | DynamicSlice _
    | DynamicUpdateSlice | Concatenate _ | Pad _ | Rev _ | Iota _ | StopGradient | Pjit _ | Scan _ -> fail ()
