/// Dense arrays: constructors, element access as float64, and Python's spelling of scalar
/// values (the text of jaxpr literals). Every constructor checks that the buffer holds exactly
/// the elements of the shape, so an NdArray is always well formed.
[<CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Cotangent.Core.NdArray

open System
open System.Globalization

let dtypeOf (data: ArrayData) =
    match data with
    | BoolData _ -> Bool
    | I32Data _ -> I32
    | U32Data _ -> U32
    | F32Data _ -> F32
    | F64Data _ -> F64

let length (data: ArrayData) =
    match data with
    | BoolData a -> a.Length
    | I32Data a -> a.Length
    | U32Data a -> a.Length
    | F32Data a -> a.Length
    | F64Data a -> a.Length

/// An array of `shape` over `data`, weak-typed when `weak` (born from a C# scalar).
let create (weak: bool) (shape: int[]) (data: ArrayData) : NdArray =
    if length data <> Shape.size shape then
        raise (CotangentException("", $"buffer of {length data} elements cannot have shape {Shape.pyTuple shape}", None))

    { Aval = { Shape = shape; DType = dtypeOf data; Weak = weak }; Data = data }

let ofFloat32 (shape: int[]) (xs: float32[]) = create false shape (F32Data xs)
let ofFloat64 (shape: int[]) (xs: float[]) = create false shape (F64Data xs)
let ofInt32 (shape: int[]) (xs: int[]) = create false shape (I32Data xs)
let ofUInt32 (shape: int[]) (xs: uint32[]) = create false shape (U32Data xs)
let ofBool (shape: int[]) (xs: bool[]) = create false shape (BoolData xs)

/// A buffer of `n` elements of `dtype` from float64 values (cast as numpy's astype does).
let bufferOfFloats (dtype: DType) (xs: float[]) : ArrayData =
    match dtype with
    | Bool -> BoolData(Array.map (fun x -> x <> 0.0) xs)
    | I32 -> I32Data(Array.map int xs)
    | U32 -> U32Data(Array.map (fun x -> if x < 0.0 then uint32 (int64 x) else uint32 x) xs)
    | F32 -> F32Data(Array.map float32 xs)
    | F64 -> F64Data xs

/// An array of `dtype` and `shape` from float64 values.
let ofFloats (dtype: DType) (shape: int[]) (xs: float[]) = create false shape (bufferOfFloats dtype xs)

/// A rank-0 array holding `value` cast to `dtype`.
let scalar (dtype: DType) (weak: bool) (value: float) = create weak [||] (bufferOfFloats dtype [| value |])

/// `value` repeated over `shape`.
let full (dtype: DType) (shape: int[]) (value: float) =
    ofFloats dtype shape (Array.create (Shape.size shape) value)

/// Element `i` (row-major) as float64: exact for every dtype here.
let item (i: int) (a: NdArray) : float =
    match a.Data with
    | BoolData d -> if d[i] then 1.0 else 0.0
    | I32Data d -> float d[i]
    | U32Data d -> float d[i]
    | F32Data d -> float d[i]
    | F64Data d -> d[i]

/// All elements as float64, row-major.
let toFloats (a: NdArray) : float[] = Array.init (Aval.size a.Aval) (fun i -> item i a)

/// The same array with another weak-type flag.
let withWeak (weak: bool) (a: NdArray) =
    if a.Aval.Weak = weak then a else { a with Aval = { a.Aval with Weak = weak } }

/// Python's repr of a float from .NET's shortest round-trip digits: fixed notation for
/// decimal exponents in [-4, 16), scientific (`1e-05`, `1e+16`) outside, always a `.0` when
/// integral; numpy's float32 scalars follow the same rule over float32's shortest digits.
let private pyFloat (roundTrip: string) =
    match roundTrip with
    | "NaN" -> "nan"
    | "Infinity" | "∞" -> "inf"
    | "-Infinity" | "-∞" -> "-inf"
    | s ->
        let neg = s.StartsWith "-"
        let s = if neg then s.Substring 1 else s
        let mantissa, exp10 =
            match s.IndexOf 'E' with
            | -1 -> s, 0
            | e -> s.Substring(0, e), int (s.Substring(e + 1))
        let intPart, fracPart =
            match mantissa.IndexOf '.' with
            | -1 -> mantissa, ""
            | d -> mantissa.Substring(0, d), mantissa.Substring(d + 1)
        // digits d1 d2 ... with the decimal point after `point` digits
        let digits0 = intPart + fracPart
        let lead = digits0.Length - digits0.TrimStart('0').Length
        let digits = digits0.Trim('0')
        let sign = if neg then "-" else ""
        if digits = "" then
            sign + "0.0"
        else
            let point = intPart.Length + exp10 - lead
            let decExp = point - 1
            if decExp >= -4 && decExp < 16 then
                if point <= 0 then sign + "0." + String('0', -point) + digits
                elif point >= digits.Length then sign + digits + String('0', point - digits.Length) + ".0"
                else sign + digits.Substring(0, point) + "." + digits.Substring point
            else
                let m = if digits.Length = 1 then digits else digits.Substring(0, 1) + "." + digits.Substring 1
                let e = if decExp < 0 then $"-{-decExp:D2}" else $"+{decExp:D2}"
                sign + m + "e" + e

/// A scalar's text as Python prints it: `1.0`, `0.1`, `1e-05`, `inf`, `nan`, `3`, `True`.
let scalarText (dtype: DType) (value: float) =
    match dtype with
    | Bool -> if value <> 0.0 then "True" else "False"
    | I32 | U32 -> string (int64 value)
    | F32 -> pyFloat ((float32 value).ToString("R", CultureInfo.InvariantCulture))
    | F64 -> pyFloat (value.ToString("R", CultureInfo.InvariantCulture))
