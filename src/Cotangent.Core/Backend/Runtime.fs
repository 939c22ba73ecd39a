/// Runs vec-dialect programs: `compile` emits and JIT-compiles each segment once (segments in
/// parallel across cores) and returns an Executable whose Run pins the arguments, takes temps from
/// a per-executable pool, runs fills, library calls and kernels in order (large parallel loops
/// across cores) and returns fresh result arrays.
/// Guarantees: Run is thread-safe and exception-safe (handles freed and temps returned in finally).
module Cotangent.Core.Backend.Runtime

#nowarn "9" "51" // native pointers into pinned and native buffers

open System
open System.Collections.Concurrent
open System.Runtime.InteropServices
open System.Threading
open Microsoft.FSharp.NativeInterop
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec
open Cotangent.Core.Backend.EmitScalar

type Executable =
    { Run: NdArray list -> NdArray list
      /// Compiled kernels (a parallel loop is a segment of its own).
      Segments: int
      /// Bytes of temp storage one call holds (the memory plan's slots).
      TempBytes: int64
      /// (pinned handles, temp sets) held by calls running now: (0, 0) when idle.
      InFlight: unit -> int * int
      /// Temp sets allocated so far (one per concurrent caller at most).
      TempSets: unit -> int }

/// A parallel loop runs across cores when trip count × body statements reaches this...
let parallelWork = 1 <<< 17
/// ...in chunks of at least this much work.
let chunkWork = 1 <<< 15

type private Step =
    | Segment of Emit.Kernel * parallelLoop: ForLoop<VecOp> option * work: int64
    | FillStep of Buffer * NdArray
    | CallStep of Prim * Buffer list * Buffer list

/// A buffer's storage for a library call: its address, and the caller's array when it has one.
type CallOperand = { Buffer: Buffer; Address: nativeint; Managed: NdArray option }

let private span<'T when 'T: unmanaged> (p: nativeint) (n: int) = Span<'T>(NativePtr.toVoidPtr (NativePtr.ofNativeInt<'T> p), n)

/// The elements at `p` as a managed array of the buffer's aval.
let private readNative (b: Buffer) (p: nativeint) : NdArray =
    let n = Aval.size b.Aval
    let data =
        match b.Aval.DType with
        | Bool -> BoolData((span<bool> p n).ToArray())
        | I32 -> I32Data((span<int> p n).ToArray())
        | U32 -> U32Data((span<uint32> p n).ToArray())
        | F32 -> F32Data((span<float32> p n).ToArray())
        | F64 -> F64Data((span<float> p n).ToArray())
    { Aval = b.Aval; Data = data }

let private writeNative (b: Buffer) (p: nativeint) (a: NdArray) =
    let n = Aval.size b.Aval
    if a.Aval.DType <> b.Aval.DType || NdArray.length a.Data <> n then
        raise (CotangentException("", $"runtime: a {Aval.str a.Aval} result for buffer {Buffer.name b}: {Aval.str b.Aval}", None))
    match a.Data with
    | BoolData d -> ReadOnlySpan(d).CopyTo(span<bool> p n)
    | I32Data d -> ReadOnlySpan(d).CopyTo(span<int> p n)
    | U32Data d -> ReadOnlySpan(d).CopyTo(span<uint32> p n)
    | F32Data d -> ReadOnlySpan(d).CopyTo(span<float32> p n)
    | F64Data d -> ReadOnlySpan(d).CopyTo(span<float> p n)

/// A result array, fully written by the program before it is returned.
let private uninitialized (dtype: DType) (n: int) : ArrayData =
    match dtype with
    | Bool -> BoolData(GC.AllocateUninitializedArray<bool> n)
    | I32 -> I32Data(GC.AllocateUninitializedArray<int> n)
    | U32 -> U32Data(GC.AllocateUninitializedArray<uint32> n)
    | F32 -> F32Data(GC.AllocateUninitializedArray<float32> n)
    | F64 -> F64Data(GC.AllocateUninitializedArray<float> n)

/// loop.fill: every element of the buffer set to `value` (cast to the buffer's dtype).
let private fill (b: Buffer) (p: nativeint) (value: NdArray) =
    let n = Aval.size b.Aval
    match (Elementwise.convert b.Aval.DType value.Data) with
    | BoolData d -> (span<bool> p n).Fill d[0]
    | I32Data d -> (span<int> p n).Fill d[0]
    | U32Data d -> (span<uint32> p n).Fill d[0]
    | F32Data d -> (span<float32> p n).Fill d[0]
    | F64Data d -> (span<float> p n).Fill d[0]

/// concatenate as block copies between the buffers: each output row along `dim`'s outer dims is
/// the inputs' rows one after another.
let private concatenate (dim: int) (inputs: CallOperand list) (out: CallOperand) =
    let shape = out.Buffer.Aval.Shape
    let size = int64 (elementSize out.Buffer.Aval.DType)
    let outer = Shape.size shape[.. dim - 1]
    let inner = int64 (Shape.size shape[dim + 1 ..])
    let row = int64 shape[dim] * inner * size
    let mutable column = 0L
    for i in inputs do
        let block = int64 i.Buffer.Aval.Shape[dim] * inner * size
        for r in 0 .. outer - 1 do
            let src = NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> (i.Address + nativeint (int64 r * block)))
            let dst = NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> (out.Address + nativeint (int64 r * row + column)))
            Buffer.MemoryCopy(src, dst, block, block)
        column <- column + block

/// iota straight into the buffer (the interpreter's Layout.iotaInto).
let private iota (dim: int) (out: CallOperand) =
    let shape = out.Buffer.Aval.Shape
    let n = Aval.size out.Buffer.Aval
    match out.Buffer.Aval.DType with
    | I32 -> Layout.iotaInto (span<int> out.Address n) shape dim id
    | U32 -> Layout.iotaInto (span<uint32> out.Address n) shape dim uint32
    | F32 -> Layout.iotaInto (span<float32> out.Address n) shape dim float32
    | F64 -> Layout.iotaInto (span<float> out.Address n) shape dim float
    | Bool -> Layout.iotaInto (span<bool> out.Address n) shape dim (fun c -> c <> 0)

/// loop.call: the one dispatch point for whole-buffer ops: dot_general on the GEMM, concatenate as
/// block copies, iota in place; the rest run the reference interpreter, copied into the outputs.
let runCall (prim: Prim) (inputs: CallOperand list) (outputs: CallOperand list) : unit =
    match prim, inputs, outputs with
    | DotGeneral _, [ a; b ], [ c ] when Dot.tryRun prim a.Buffer.Aval b.Buffer.Aval c.Buffer.Aval a.Address b.Address c.Address -> ()
    | Concatenate dim, _, [ out ] when inputs |> List.forall (fun i -> i.Buffer.Aval.DType = out.Buffer.Aval.DType) ->
        concatenate dim inputs out
    | Iota(_, _, dim), [], [ out ] -> iota dim out
    | _ ->
    let args = inputs |> List.map (fun o -> match o.Managed with Some a -> a | None -> readNative o.Buffer o.Address)
    let results = Interpreter.eval prim args
    if results.Length <> outputs.Length then
        raise (CotangentException(name prim, $"runtime: {results.Length} results for {outputs.Length} output buffers", None))
    List.iter2 (fun (o: CallOperand) r -> writeNative o.Buffer o.Address r) outputs results

/// The arrays a call pins: GCHandles freed in Dispose.
type private Pins() =
    let handles = ResizeArray<GCHandle>()
    member _.Pin(data: ArrayData) : nativeint =
        let h = GCHandle.Alloc(Buffers.asArray data, GCHandleType.Pinned)
        handles.Add h
        h.AddrOfPinnedObject()
    member _.Count = handles.Count
    interface IDisposable with
        member _.Dispose() =
            for h in handles do h.Free()
            handles.Clear()

/// One caller's native storage: the buffer table and the temp slots it points at (64-byte aligned).
type private TempSet = { Table: nativeint; Slots: nativeint[] }

/// Temp sets reused across calls, one per concurrent caller; freed with the executable.
type private TempPool(tableLength: int, slotBytes: int64[], consts: (int * nativeint) list, temps: (int * int) list) =
    let free = ConcurrentBag<TempSet>()
    let all = ConcurrentBag<TempSet>()
    let mutable created = 0
    member _.Created = created
    member _.Take() : TempSet =
        match free.TryTake() with
        | true, s -> s
        | _ ->
            let table = NativeMemory.AllocZeroed(unativeint (max 1 tableLength * IntPtr.Size)) |> NativePtr.ofVoidPtr<nativeint>
            let slots = slotBytes |> Array.map (fun bytes -> NativeMemory.AlignedAlloc(unativeint (max 1L bytes), 64un) |> NativePtr.ofVoidPtr<byte> |> NativePtr.toNativeInt)
            for id, p in consts do NativePtr.set table id p
            for id, slot in temps do NativePtr.set table id slots[slot]
            let set = { Table = NativePtr.toNativeInt table; Slots = slots }
            all.Add set
            Interlocked.Increment &created |> ignore
            set
    member _.Give(set: TempSet) = free.Add set
    override _.Finalize() =
        for s in all do
            for p in s.Slots do NativeMemory.AlignedFree(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> p))
            NativeMemory.Free(NativePtr.toVoidPtr (NativePtr.ofNativeInt<byte> s.Table))

/// Statements per iteration, inner loops counted by their trip counts.
let rec private work (stmts: Stmt<VecOp> list) : int64 =
    stmts |> List.sumBy (fun s ->
        match s with
        | For l -> int64 (max 0 ((l.Hi - l.Lo + l.Step - 1) / l.Step)) * work l.Body
        | Load _ | Compute _ | Store _ | Accum _ | Fill _ | Call _ | Ext _ -> 1L)

/// How many statements `s` is, counting those in its loop body.
let rec private size (s: Stmt<VecOp>) : int =
    match s with
    | For l -> List.fold (fun n s -> n + size s) 1 l.Body
    | _ -> 1

/// Calls `f` on each var a top-level statement binds for the statements after it.
let private eachDefined (f: Var -> unit) (s: Stmt<VecOp>) =
    match s with
    | For l -> List.iter f l.Results
    | _ -> visitStmt f ignore s

/// Statements above which a run is cut into another segment where no value crosses the cut: the
/// .NET JIT compiles methods of thousands of locals without optimization (MinOpts).
let private maxSegment = 1000

/// A step before emission: a segment is still its statements.
type private Planned =
    | Pending of parallelLoop: ForLoop<VecOp> option * Stmt<VecOp> list
    | Ready of Step

/// Emits and JIT-compiles every segment, in parallel over `Threads.Workers` cores: segments are
/// independent methods, and the .NET JIT takes ~2 µs per statement (XLA:CPU likewise splits its
/// module for parallel codegen). Errors surface as the emitter raised them.
let private emitAll (planned: Planned list) : Step list =
    let pending = planned |> List.choose (fun p -> match p with Pending(l, stmts) -> Some(l, stmts) | Ready _ -> None) |> Array.ofList
    let kernels = Array.zeroCreate<Emit.Kernel> pending.Length
    let emit (i: int) =
        let parallelLoop, stmts = pending[i]
        let kernel = Emit.compileSegment $"segment{i}" parallelLoop.IsSome stmts
        // the JIT compiles the method here, on this worker, rather than at its first call
        Runtime.CompilerServices.RuntimeHelpers.PrepareDelegate kernel
        kernels[i] <- kernel
    try
        Tasks.Parallel.For(0, pending.Length, Tasks.ParallelOptions(MaxDegreeOfParallelism = max 1 Cotangent.Kernels.Threads.Workers), emit) |> ignore
    with :? AggregateException as e ->
        Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw()
    planned
    |> List.mapFold (fun next p ->
        match p with
        | Ready step -> step, next
        | Pending(parallelLoop, stmts) -> Segment(kernels[next], parallelLoop, work stmts), next + 1) 0
    |> fst

/// Top-level statements split into steps: Fill and Call alone, each parallel loop that reads no
/// outside value alone (so it can be split across cores), runs of the rest as segments (cut after
/// `maxSegment` statements where no value crosses).
let private plan (body: Stmt<VecOp> list) : Step list =
    let lastUse = VarTable<int>()
    body |> List.iteri (fun i s ->
        match s with
        | For _ -> for v in Emit.stmtReads s do lastUse[v] <- i
        | _ -> visitStmt ignore (fun a -> match a with Var v -> lastUse[v] <- i | Lit _ -> ()) s)
    let steps = ResizeArray<Planned>()
    let run = ResizeArray<Stmt<VecOp>>()
    let mutable runSize = 0
    // the last statement that reads a value bound in the current run
    let liveUntil = ref -1
    let extend (v: Var) =
        match lastUse.TryGetValue v with
        | true, u -> liveUntil.Value <- max liveUntil.Value u
        | _ -> ()
    let segment (parallelLoop: ForLoop<VecOp> option) (stmts: Stmt<VecOp> list) = steps.Add(Pending(parallelLoop, stmts))
    let flush () =
        if run.Count > 0 then
            segment None (List.ofSeq run)
            run.Clear()
            runSize <- 0
            liveUntil.Value <- -1
    body |> List.iteri (fun i s ->
        match s with
        | Fill(b, v) -> flush (); steps.Add(Ready(FillStep(b, v)))
        | Call(p, ins, outs) -> flush (); steps.Add(Ready(CallStep(p, ins, outs)))
        | For l when l.Parallel && l.Carried.IsEmpty && (Emit.stmtReads s).IsEmpty -> flush (); segment (Some l) [ s ]
        | For _ | Load _ | Compute _ | Store _ | Accum _ | Ext _ ->
            run.Add s
            runSize <- runSize + size s
            eachDefined extend s
            if runSize >= maxSegment && liveUntil.Value <= i then flush ())
    flush ()
    emitAll (List.ofSeq steps)

let private check (parameters: Buffer list) (args: NdArray list) =
    if args.Length <> parameters.Length then
        raise (CotangentException("", $"runtime: {args.Length} arguments for a program of {parameters.Length}", None))
    for b, a in List.zip parameters args do
        if a.Aval.DType <> b.Aval.DType || a.Aval.Shape <> b.Aval.Shape || NdArray.length a.Data <> Aval.size b.Aval then
            raise (CotangentException("", $"runtime: argument {Buffer.name b}: {Aval.str b.Aval} given {Aval.str a.Aval}", None))

/// Compiles every segment of `p` and plans its memory; the executable holds p's consts pinned,
/// and its buffers but not its statements (26k of them for the JacRev loop).
let compile (p: Program<VecOp>) : Executable =
    let steps = plan p.Body
    let parameters, outputs = p.Args, p.Results
    let all = p.Args @ p.Consts @ p.Temps @ p.Results
    let tableLength = 1 + (all |> List.fold (fun m b -> max m b.Id) 0)
    let slotOf (b: Buffer) = match b.Kind with Temp s -> Some(b, s) | Arg _ | Const _ | Result _ | View _ -> None
    // views point into their sources once those are placed (args differ per call)
    let views = p.Temps |> List.choose (fun b -> match b.Kind with View(source, offset) -> Some(b.Id, source.Id, nativeint offset * nativeint (elementSize b.Aval.DType)) | _ -> None)
    let temps = p.Temps |> List.choose slotOf
    let slotCount = 1 + (temps |> List.fold (fun m (_, s) -> max m s) -1)
    let slotBytes = Array.zeroCreate<int64> slotCount
    for b, s in temps do
        slotBytes[s] <- max slotBytes[s] (int64 (Aval.size b.Aval) * int64 (elementSize b.Aval.DType))
    // consts live for the executable's lifetime in pinned-heap copies: no handle to free
    let constArrays =
        p.Consts |> List.map (fun b ->
            match b.Kind with
            | Const a ->
                let copy = Buffers.copy a.Data
                let pinned = Buffers.asArray copy
                let arr = GC.AllocateArray<byte>(System.Buffer.ByteLength pinned + 1, pinned = true)
                System.Buffer.BlockCopy(pinned, 0, arr, 0, System.Buffer.ByteLength pinned)
                b, a, arr
            | Arg _ | Result _ | Temp _ | View _ -> raise (CotangentException("", $"runtime: {Buffer.name b} listed as a const", None)))
    let constAddress (arr: byte[]) = NativePtr.toNativeInt &&arr[0]
    let pool =
        TempPool(tableLength, slotBytes, constArrays |> List.map (fun (b, _, arr) -> b.Id, constAddress arr),
                 temps |> List.map (fun (b, s) -> b.Id, s))
    let pinned = ref 0
    let taken = ref 0
    let run (args: NdArray list) : NdArray list =
        check parameters args
        let set = pool.Take()
        Interlocked.Increment &taken.contents |> ignore
        let pins = new Pins()
        try
            let table = NativePtr.ofNativeInt<nativeint> set.Table
            let managed = Collections.Generic.Dictionary<int, NdArray>()
            for b, a in List.zip parameters args do
                NativePtr.set table b.Id (pins.Pin a.Data)
                managed[b.Id] <- { a with Aval = b.Aval }
                Interlocked.Increment &pinned.contents |> ignore
            for b, a, _ in constArrays do
                managed[b.Id] <- { a with Aval = b.Aval }
            let results =
                outputs |> List.map (fun b ->
                    let data = uninitialized b.Aval.DType (Aval.size b.Aval)
                    NativePtr.set table b.Id (pins.Pin data)
                    Interlocked.Increment &pinned.contents |> ignore
                    { Aval = b.Aval; Data = data })
            for view, source, bytes in views do
                NativePtr.set table view (NativePtr.get table source + bytes)
            let operand (b: Buffer) =
                { Buffer = b; Address = NativePtr.get table b.Id; Managed = match managed.TryGetValue b.Id with | true, a -> Some a | _ -> None }
            for step in steps do
                match step with
                | FillStep(b, v) -> fill b (NativePtr.get table b.Id) v
                | CallStep(prim, ins, outs) -> runCall prim (List.map operand ins) (List.map operand outs)
                | Segment(kernel, Some l, w) when w >= int64 parallelWork && Cotangent.Kernels.Threads.Workers > 1 ->
                    let perIteration = max 1L (w / int64 (max 1 ((l.Hi - l.Lo + l.Step - 1) / l.Step)))
                    let grain = l.Step * int (max 1L (int64 chunkWork / perIteration))
                    let tablePtr = set.Table
                    Cotangent.Kernels.Threads.For(l.Hi - l.Lo, grain, Action<int, int>(fun lo hi -> kernel.Invoke(tablePtr, l.Lo + lo, l.Lo + hi)))
                | Segment(kernel, Some l, _) -> kernel.Invoke(set.Table, l.Lo, l.Hi)
                | Segment(kernel, None, _) -> kernel.Invoke(set.Table, 0, 0)
            results
        finally
            Interlocked.Add(&pinned.contents, -pins.Count) |> ignore
            (pins :> IDisposable).Dispose()
            pool.Give set
            Interlocked.Decrement &taken.contents |> ignore
    { Run = run
      Segments = steps |> List.sumBy (fun s -> match s with Segment _ -> 1 | FillStep _ | CallStep _ -> 0)
      TempBytes = Array.sum slotBytes
      InFlight = fun () -> pinned.Value, taken.Value
      TempSets = fun () -> pool.Created }
