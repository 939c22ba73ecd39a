/// dot_general on flat row-major buffers through the packed GEMM (Cotangent.Kernels.Gemm):
/// takes the dimension numbers, the operand avals and buffer addresses; returns false (and
/// writes nothing) when the contraction is not one GEMM per batch element — the caller then
/// runs the reference interpreter. Guarantees: the result is lhs free dims × rhs free dims,
/// batch dims first, as lax.dot_general lays it out.
module Cotangent.Core.Backend.Dot

open Microsoft.FSharp.NativeInterop
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Kernels

#nowarn "9" // pointer arithmetic on pinned and native buffers

/// One GEMM per batch element: transA/transB, m, n, k, and the batch count.
type Plan = { TransA: bool; TransB: bool; M: int; N: int; K: int; Batch: int }

/// The GEMM that computes `dims` over operands of `lhs` and `rhs`, if there is one: batch dims
/// leading on both sides, one contracting dim each, at most one free dim each.
let plan (dims: DotDims) (lhs: Aval) (rhs: Aval) : Plan option =
    let b = dims.LhsBatch.Length
    let leading = List.init b id
    match dims.LhsContract, dims.RhsContract with
    | [ cl ], [ cr ] when dims.LhsBatch = leading && dims.RhsBatch = leading && lhs.DType = rhs.DType ->
        let batch = Shape.size lhs.Shape[.. b - 1]
        let k = lhs.Shape[cl]
        let lhsSide =
            match lhs.Shape.Length - b with
            | 1 when cl = b -> Some(false, 1)
            | 2 when cl = b + 1 -> Some(false, lhs.Shape[b])
            | 2 when cl = b -> Some(true, lhs.Shape[b + 1])
            | _ -> None
        let rhsSide =
            match rhs.Shape.Length - b with
            | 1 when cr = b -> Some(false, 1)
            | 2 when cr = b -> Some(false, rhs.Shape[b + 1])
            | 2 when cr = b + 1 -> Some(true, rhs.Shape[b])
            | _ -> None
        match lhsSide, rhsSide with
        | Some(ta, m), Some(tb, n) -> Some { TransA = ta; TransB = tb; M = m; N = n; K = k; Batch = batch }
        | _ -> None
    | _ -> None

/// Runs dot_general with the GEMM when `plan` finds one and the dtype is f32 or f64.
let tryRun (prim: Prim) (lhs: Aval) (rhs: Aval) (out: Aval) (a: nativeint) (b: nativeint) (c: nativeint) : bool =
    match prim with
    | DotGeneral(dims, pref) when (pref.IsNone || pref = Some out.DType) && out.DType = lhs.DType ->
        match plan dims lhs rhs, lhs.DType with
        | Some p, (F32 | F64 as dtype) ->
            let size = if dtype = F32 then 4n else 8n
            let lda = max 1 (if p.TransA then p.M else p.K)
            let ldb = max 1 (if p.TransB then p.K else p.N)
            for i in 0 .. p.Batch - 1 do
                let off (rows: int) (cols: int) = nativeint i * nativeint rows * nativeint cols * size
                let ai, bi, ci = a + off p.M p.K, b + off p.K p.N, c + off p.M p.N
                if dtype = F32 then
                    Gemm.Sgemm(p.TransA, p.TransB, p.M, p.N, p.K, NativePtr.ofNativeInt ai, lda, NativePtr.ofNativeInt bi, ldb, NativePtr.ofNativeInt ci, max 1 p.N, false, true)
                else
                    Gemm.Dgemm(p.TransA, p.TransB, p.M, p.N, p.K, NativePtr.ofNativeInt ai, lda, NativePtr.ofNativeInt bi, ldb, NativePtr.ofNativeInt ci, max 1 p.N, false, true)
            true
        | _ -> false
    | _ -> false
