/// The core of the IR, shared by every dialect: dtypes, shapes, abstract values, dense arrays,
/// and the SSA program types (Var, Atom, Eqn, Jaxpr), generic over the op set of a dialect.
/// Guarantees: values of these types are immutable once built (array buffers included: nothing
/// writes into a buffer after its constructor returns), and a Var is identified by its Id alone.
namespace Cotangent.Core

open System

/// Element types, spelled as JAX prints them in avals (`f32`) and in params (`float32`).
type DType =
    | Bool
    | I32
    | U32
    | F32
    | F64

module DType =
    /// The short form printed in avals: `f32[3]`.
    let shortName dtype =
        match dtype with
        | Bool -> "bool"
        | I32 -> "i32"
        | U32 -> "u32"
        | F32 -> "f32"
        | F64 -> "f64"

    /// numpy's name, printed in params: `new_dtype=float32`.
    let name dtype =
        match dtype with
        | Bool -> "bool"
        | I32 -> "int32"
        | U32 -> "uint32"
        | F32 -> "float32"
        | F64 -> "float64"

    let isFloat dtype = dtype = F32 || dtype = F64
    let isInteger dtype = dtype = I32 || dtype = U32
    let all = [ Bool; I32; U32; F32; F64 ]

/// Shapes are row-major dimension arrays; F# compares arrays structurally.
module Shape =
    let size (shape: int[]) =
        let mutable n = 1
        for d in shape do
            n <- n * d
        n

    /// Equal shapes, compared as ints (F#'s `=` on arrays goes through its generic comparer).
    let equal (a: int[]) (b: int[]) = obj.ReferenceEquals(a, b) || System.MemoryExtensions.SequenceEqual(System.ReadOnlySpan a, System.ReadOnlySpan b)

    /// Row-major strides in elements.
    let strides (shape: int[]) =
        let s = Array.zeroCreate shape.Length
        let mutable acc = 1
        for i in shape.Length - 1 .. -1 .. 0 do
            s[i] <- acc
            acc <- acc * shape[i]
        s

    /// Python's tuple spelling, as JAX prints shapes and axes in params: `()`, `(3,)`, `(1, 2)`.
    let pyTuple (xs: seq<'a>) =
        match List.ofSeq xs with
        | [] -> "()"
        | [ x ] -> $"({x},)"
        | xs -> "(" + String.Join(", ", xs) + ")"

/// An abstract value: what tracing knows about an array. A weak type marks values born from
/// C# scalars, which defer to the other operand's dtype in promotion, like Python scalars in JAX.
type Aval =
    { Shape: int[]
      DType: DType
      Weak: bool }

module Aval =
    let make dtype (shape: int[]) = { Shape = shape; DType = dtype; Weak = false }
    let scalar dtype = { Shape = [||]; DType = dtype; Weak = false }
    let rank aval = aval.Shape.Length
    let size aval = Shape.size aval.Shape
    let strong aval = if aval.Weak then { aval with Weak = false } else aval
    /// `f32[3,4]`, as in a jaxpr binder.
    let str aval =
        DType.shortName aval.DType + "[" + String.Join(",", aval.Shape) + "]"

/// Dense row-major storage, one case per dtype.
type ArrayData =
    | BoolData of bool[]
    | I32Data of int[]
    | U32Data of uint32[]
    | F32Data of float32[]
    | F64Data of float[]

/// A concrete array: an aval and a buffer of exactly `Aval.size` elements.
type NdArray = { Aval: Aval; Data: ArrayData }

/// Where user code bound an equation or hit an error: the first frame outside Cotangent.
type SourceInfo =
    { File: string
      Line: int
      Member: string }

    override this.ToString() =
        $"{IO.Path.GetFileName this.File}:{this.Line} in {this.Member}"

/// A program error the user can fix: a primitive applied to shapes or dtypes its rule rejects,
/// or a transformation given arguments it cannot take. The message names the primitive, the
/// avals, what was expected and the user's call site.
type CotangentException(primitive: string, detail: string, site: SourceInfo option) =
    inherit ArgumentException(
        (if primitive = "" then detail else $"{primitive}: {detail}")
        + (match site with
           | Some s -> $" (at {s})"
           | None -> ""))

    member _.Primitive = primitive
    member _.Detail = detail
    member _.CallSite = site

/// An SSA variable. Identity is the Id; names are given only when printing. A struct: a program
/// holds its vars inline in its operand and output lists, not as objects of their own.
[<Struct; CustomEquality; CustomComparison>]
type Var =
    { Id: int64
      Aval: Aval }

    override this.Equals(other) =
        match other with
        | :? Var as v -> v.Id = this.Id
        | _ -> false

    override this.GetHashCode() = this.Id.GetHashCode()

    // hash sets and dictionaries of vars compare without boxing
    interface IEquatable<Var> with
        member this.Equals(other: Var) = other.Id = this.Id

    interface IComparable with
        member this.CompareTo(other) = compare this.Id (other :?> Var).Id

module Var =
    let mutable private counter = 0L
    /// A fresh variable; Ids are unique across threads.
    let fresh (aval: Aval) =
        { Id = Threading.Interlocked.Increment(&counter); Aval = aval }

/// An operand: a variable or an inline scalar literal (a rank-0 array). A struct, like Var: an
/// operand list holds its operands inline, not one object per operand.
[<Struct>]
type Atom =
    | Var of var: Var
    | Lit of lit: NdArray

module Atom =
    let aval atom =
        match atom with
        | Var v -> v.Aval
        | Lit a -> a.Aval

// Grammar of the lax dialect's text form (JAX's jaxpr):
//   jaxpr ::= { lambda constvar* ; invar* . let eqn* in ( atom , ... ) }
//   eqn   ::= outvar* = prim [ param=value ... ] atom*
/// One equation: fresh outputs bound from an op (with its params) applied to input atoms.
type Eqn<'Op> =
    { Op: 'Op
      Inputs: Atom list
      Outs: Var list
      Source: SourceInfo option }

/// A program in SSA form: every var is bound once (as a constvar, an invar or an eqn output)
/// before it is used. Ops that carry sub-programs hold them in their params (regions).
type Jaxpr<'Op> =
    { ConstVars: Var list
      InVars: Var list
      Eqns: Eqn<'Op> list
      OutVars: Atom list }

/// A jaxpr with the values of its constvars.
type ClosedJaxpr<'Op> = { Jaxpr: Jaxpr<'Op>; Consts: NdArray list }
