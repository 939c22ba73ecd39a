/// IL codegen for the loop and vec dialects: compiles a segment (a run of top-level statements
/// other than Call/Fill) into a DynamicMethod `Kernel(buffers, lo, hi)` reading and writing
/// `buffers[b.Id]` through pointers. Scalar and vector vars live in IL locals, loop induction vars
/// are int32 locals; a parallel segment's outermost loop runs over [lo, hi) instead of its bounds.
module Cotangent.Core.Backend.Emit

open System
open System.Collections.Generic
open System.Reflection.Emit
open Cotangent.Core
open Cotangent.Core.Dialects.Kernel
open Cotangent.Core.Dialects.Loop
open Cotangent.Core.Dialects.Vec
open Cotangent.Core.Backend.EmitScalar
open Cotangent.Core.Backend.EmitVector

/// A compiled segment: `buffers` points at a table of base addresses indexed by Buffer.Id.
type Kernel = delegate of buffers: nativeint * lo: int * hi: int -> unit

let private fail (detail: string) : 'a = raise (CotangentException("", "emit: " + detail, None))

/// Vars a statement list uses but does not bind (its inputs from the enclosing code).
let freeVars (stmts: Stmt<VecOp> list) : Var list =
    let bound = HashSet<Var>()
    let used = HashSet<Var>()
    let atom a = match a with Var v -> used.Add v |> ignore | Lit _ -> ()
    visitAll (fun v -> bound.Add v |> ignore) atom stmts
    used |> Seq.filter (bound.Contains >> not) |> List.ofSeq

/// The outside vars one statement reads (a loop's free vars; others' operands): no sets built
/// for the common case, as the runtime asks this of every top-level statement.
let stmtReads (s: Stmt<VecOp>) : Var list =
    match s with
    | For _ -> freeVars [ s ]
    | _ ->
        let reads = ref []
        visitStmt ignore (fun a -> match a with Var v -> reads.Value <- v :: reads.Value | Lit _ -> ()) s
        reads.Value

/// Calls `f` on each buffer one statement touches itself (a loop's body not included).
let private eachBuffer (f: Buffer -> unit) (s: Stmt<VecOp>) =
    match s with
    | Load(_, b, _) | Store(b, _, _) | Accum(b, _, _, _) | Fill(b, _) -> f b
    | Call(_, ins, outs) -> List.iter f ins; List.iter f outs
    | Ext x -> let _, _, buffers = extVars x in List.iter f buffers
    | For _ | Compute _ -> ()

/// The buffers a statement list touches.
let buffersOf (stmts: Stmt<VecOp> list) : Buffer list =
    // at most one new buffer per top-level statement: sized once rather than regrown
    let seen = Dictionary<int, Buffer>(List.length stmts)
    iterStmts (eachBuffer (fun b -> seen[b.Id] <- b)) stmts
    List.ofSeq seen.Values

/// Vector256.Create with one argument per lane (8 floats or 4 doubles).
let private gatherCreate (dtype: DType) (lanes: int) : System.Reflection.MethodInfo =
    let element = match dtype with F64 -> typeof<float> | _ -> typeof<float32>
    (vectorMethodWith "Create" dtype (List.replicate lanes element)).Value

/// When each var's IL local may take another var: the vars dying at each statement position
/// (numbered in emission order; a loop has a header and a footer position). A var read inside a
/// loop that it is defined before lives to the loop's footer; a loop's results share their
/// carried values' locals, which live as long as either.
let private deaths (stmts: Stmt<VecOp> list) : Var list[] =
    // sized for one var per top-level statement, as a segment binds about that many
    let size = List.length stmts
    let lastUse = Dictionary<Var, int>(size)
    let definedAt = Dictionary<Var, int>(size)
    let sharing = Dictionary<Var, Var>()
    let loops = Stack<HashSet<Var>>()
    let mutable pos = 0
    let read (a: Atom) =
        match a with
        | Var v ->
            lastUse[v] <- pos
            if loops.Count > 0 then loops.Peek().Add v |> ignore
        | Lit _ -> ()
    let define (v: Var) =
        definedAt[v] <- pos
        if not (lastUse.ContainsKey v) then lastUse[v] <- pos
    let rec walk (stmts: Stmt<VecOp> list) =
        for s in stmts do
            match s with
            | For l ->
                let header = pos
                List.iter (snd >> read) l.Carried
                define l.Iv
                List.iter (fst >> define) l.Carried
                loops.Push(HashSet())
                pos <- pos + 1
                walk l.Body
                List.iter read l.Yield
                read (Var l.Iv)
                for v, _ in l.Carried do read (Var v)
                let inside = loops.Pop()
                for v in inside do
                    if definedAt.GetValueOrDefault(v, header) < header then lastUse[v] <- max lastUse[v] pos
                if loops.Count > 0 then loops.Peek().UnionWith inside
                for r, (v, _) in List.zip l.Results l.Carried do
                    sharing[r] <- v
                    define r
                pos <- pos + 1
            | _ ->
                visitStmt define read s
                pos <- pos + 1
    walk stmts
    // a result's reads keep its carried value's local (results of results chain down)
    let rec owner (v: Var) = match sharing.TryGetValue v with | true, c -> owner c | _ -> v
    for r in sharing.Keys do
        let c = owner r
        lastUse[c] <- max lastUse[c] lastUse[r]
    // positions are dense: one list per position, most of them empty
    let dying = Array.create (pos + 1) []
    for KeyValue(v, at) in lastUse do
        if not (sharing.ContainsKey v) then dying[at] <- v :: dying[at]
    dying

/// The buffers whose base addresses are hoisted into locals: those read or written inside a loop,
/// and those the straight-line statements touch three times or more (an input read row by row).
let private hoistedBuffers (stmts: Stmt<VecOp> list) : HashSet<int> =
    let hoisted = HashSet<int>()
    let touches = Dictionary<int, int>()
    let touch (b: Buffer) =
        let n = (match touches.TryGetValue b.Id with | true, k -> k | _ -> 0) + 1
        touches[b.Id] <- n
        if n = 3 then hoisted.Add b.Id |> ignore
    for s in stmts do
        match s with
        | For l -> for b in buffersOf l.Body do hoisted.Add b.Id |> ignore
        | _ -> eachBuffer touch s
    hoisted

/// Compiles `stmts` to a Kernel. With `parallelOuter`, `stmts` is one For whose bounds the
/// kernel takes from (lo, hi); otherwise lo and hi are ignored. IL locals are reused once their
/// var is dead, and a buffer's base address is a local only where loops or repeated reads use
/// it: the .NET JIT tracks a limited number of locals (the rest stay on the stack) and
/// allocates registers in time that grows with live ranges.
let compileSegment (name: string) (parallelOuter: bool) (stmts: Stmt<VecOp> list) : Kernel =
    let dm = DynamicMethod(name, typeof<Void>, [| typeof<nativeint>; typeof<int>; typeof<int> |], typeof<ScalarOps>.Module, true)
    let dying = deaths stmts
    // the IL stream sized once (~24 bytes per statement position): growing it copies the stream,
    // ~4 % of a segment's emission and JIT in a sampling profile
    let il = dm.GetILGenerator(max 64 (24 * dying.Length))
    // sized once: a segment binds about one var per statement
    let locals = Dictionary<Var, LocalBuilder>(dying.Length)
    let baseOf (b: Buffer) =
        il.Emit OpCodes.Ldarg_0
        il.Emit(OpCodes.Ldc_I4, b.Id * IntPtr.Size)
        il.Emit OpCodes.Add
        il.Emit OpCodes.Ldind_I
    let bases = Dictionary<int, LocalBuilder>()
    let hoisted = hoistedBuffers stmts
    for b in buffersOf stmts do
        if hoisted.Contains b.Id then
            let local = il.DeclareLocal typeof<nativeint>
            baseOf b
            il.Emit(OpCodes.Stloc, local)
            bases[b.Id] <- local
    let typeOf (v: Var) =
        match v.Aval.Shape.Length with
        | 0 -> clrType v.Aval.DType
        | 1 -> vectorTypeOf v.Aval
        | _ -> fail $"a var of {Aval.str v.Aval} is neither a scalar nor a vector"
    let free = Dictionary<Type, Stack<LocalBuilder>>()
    let mutable position = 0
    // after the statement at `position`: its dead vars' locals become free
    let next () =
        for v in dying[position] do
            match locals.TryGetValue v with
            | true, l ->
                let t = typeOf v
                if not (free.ContainsKey t) then free[t] <- Stack()
                free[t].Push l
            | _ -> ()
        position <- position + 1
    let define (v: Var) =
        match locals.TryGetValue v with
        | true, l -> l
        | _ ->
            let l =
                match free.TryGetValue(typeOf v) with
                | true, reusable when reusable.Count > 0 -> reusable.Pop()
                | _ -> il.DeclareLocal(typeOf v)
            locals[v] <- l
            l
    let store (v: Var) = il.Emit(OpCodes.Stloc, define v)
    let read (v: Var) =
        match locals.TryGetValue v with
        | true, l -> il.Emit(OpCodes.Ldloc, l)
        | _ -> fail $"{name} reads var {v.Id} ({Aval.str v.Aval}) that it does not bind (a value may not cross a loop.call or loop.fill)"
    let loadScalar (a: Atom) =
        match a with
        | Var v -> read v
        | Lit l -> emitLiteral il l
    /// Pushes `a` as a vector of `dtype`: a vector var as is, a scalar var or literal splat.
    let loadVector (dtype: DType) (a: Atom) =
        match a with
        | Var v when isVector v -> read v
        | Var _ | Lit _ -> loadScalar a; emitSplat il dtype
    let address (b: Buffer) (a: Addr) =
        match bases.TryGetValue b.Id with
        | true, local -> il.Emit(OpCodes.Ldloc, local)
        | _ -> baseOf b
        match a.Terms with
        | [] ->
            // a constant index is a byte offset known now: most scalar loads and stores are
            // these, and the JIT imports four fewer instructions for each
            let bytes = int64 a.Offset * int64 (elementSize b.Aval.DType)
            if bytes > int64 Int32.MaxValue || bytes < int64 Int32.MinValue then
                il.Emit(OpCodes.Ldc_I8, bytes)
                il.Emit OpCodes.Conv_I
                il.Emit OpCodes.Add
            elif bytes <> 0L then
                // native int + int32 is native int (ECMA-335 III.1.5)
                il.Emit(OpCodes.Ldc_I4, int bytes)
                il.Emit OpCodes.Add
        | terms ->
            il.Emit(OpCodes.Ldc_I4, a.Offset)
            for v, stride in terms do
                read v
                if stride <> 1 then
                    il.Emit(OpCodes.Ldc_I4, stride)
                    il.Emit OpCodes.Mul
                il.Emit OpCodes.Add
            il.Emit OpCodes.Conv_I
            il.Emit(OpCodes.Ldc_I4, elementSize b.Aval.DType)
            il.Emit OpCodes.Mul
            il.Emit OpCodes.Add
    /// The element type of a vector op: its first operand's that is not a mask, else the mask width's.
    let vectorElement (dst: Var) (args: Atom list) =
        args
        |> List.tryPick (fun a -> let d = (Atom.aval a).DType in if d <> Bool then Some d else None)
        |> Option.defaultWith (fun () -> if dst.Aval.DType = Bool then maskElement dst.Aval.Shape[0] else dst.Aval.DType)
    let isVectorAtom (a: Atom) = match a with Var v -> isVector v | Lit _ -> false
    let loadFor (v: Var) (a: Atom) = if isVector v then loadVector (vectorElement v [ a ]) a else loadScalar a
    // A stand-in operand for values already on the stack (combining in Accum).
    let onStack (dtype: DType) = Lit(NdArray.scalar dtype false 0.0)
    let rec emitStmt (outer: bool) (s: Stmt<VecOp>) =
        emitOne outer s
        // a loop advances its own positions (its header and its footer)
        match s with
        | For _ -> ()
        | _ -> next ()
    and emitOne (outer: bool) (s: Stmt<VecOp>) =
        match s with
        | For l -> emitFor outer l
        | Load(dst, src, a) ->
            address src a
            emitLoadIndirect il src.Aval.DType
            store dst
        | Compute(dst, prim, args) ->
            if isVector dst || List.exists isVectorAtom args then
                let dtype = vectorElement dst args
                emitVector il prim dtype args (loadVector dtype)
            else
                emitScalar il prim args loadScalar
            store dst
        | Store(dst, a, v) ->
            address dst a
            loadScalar v
            emitStoreIndirect il dst.Aval.DType
        | Accum(dst, a, c, v) when isVectorAtom v ->
            let dtype = dst.Aval.DType
            let at = il.DeclareLocal typeof<nativeint>
            address dst a
            il.Emit(OpCodes.Stloc, at)
            il.Emit(OpCodes.Ldloc, at)
            il.Emit(OpCodes.Ldloc, at)
            emitVectorLoad il dtype
            loadVector dtype v
            emitVector il (Combiner.binary c) dtype [ onStack dtype; onStack dtype ] ignore
            emitVectorStore il dtype
        | Accum(dst, a, c, v) ->
            let dtype = dst.Aval.DType
            address dst a
            il.Emit OpCodes.Dup
            emitLoadIndirect il dtype
            loadScalar v
            emitScalar il (Combiner.binary c) [ onStack dtype; onStack dtype ] ignore
            emitStoreIndirect il dtype
        | Fill _ | Call _ -> fail $"{name}: loop.fill and loop.call run only at the top level"
        | Ext(VLoad(dst, src, a)) ->
            address src a
            emitVectorLoad il src.Aval.DType
            store dst
        | Ext(VGather(dst, src, a, stride)) ->
            // W scalar loads `stride` elements apart, then Vector256.Create(e0, .., eW-1)
            let dtype = src.Aval.DType
            let at = il.DeclareLocal typeof<nativeint>
            address src a
            il.Emit(OpCodes.Stloc, at)
            let lanes = dst.Aval.Shape[0]
            for k in 0 .. lanes - 1 do
                il.Emit(OpCodes.Ldloc, at)
                il.Emit(OpCodes.Ldc_I8, int64 k * int64 stride * int64 (elementSize dtype))
                il.Emit OpCodes.Conv_I
                il.Emit OpCodes.Add
                emitLoadIndirect il dtype
            il.Emit(OpCodes.Call, gatherCreate dtype lanes)
            store dst
        | Ext(VStore(dst, a, v)) ->
            address dst a
            loadVector dst.Aval.DType v
            emitVectorStore il dst.Aval.DType
        | Ext(VSplat(dst, v)) ->
            loadVector dst.Aval.DType v
            store dst
        | Ext(VReduce(dst, c, v)) ->
            loadVector dst.Aval.DType v
            emitReduce il c dst.Aval.DType
            store dst
        | Ext(VFma(dst, a, b, c)) ->
            for x in [ a; b; c ] do loadVector dst.Aval.DType x
            emitFma il dst.Aval.DType
            store dst
    // scf.for: iv from lo while iv < hi; carried locals updated from the yields at the end of
    // each iteration (all yields pushed first, so a yield may read another carried value).
    and emitFor (outer: bool) (l: ForLoop<VecOp>) =
        let iv = define l.Iv
        if outer then il.Emit OpCodes.Ldarg_1 else il.Emit(OpCodes.Ldc_I4, l.Lo)
        il.Emit(OpCodes.Stloc, iv)
        for v, init in l.Carried do
            loadFor v init
            store v
        next ()
        let top = il.DefineLabel()
        let test = il.DefineLabel()
        il.Emit(OpCodes.Br, test)
        il.MarkLabel top
        List.iter (emitStmt false) l.Body
        List.iter2 loadFor (List.map fst l.Carried) l.Yield
        for v, _ in List.rev l.Carried do
            store v
        il.Emit(OpCodes.Ldloc, iv)
        il.Emit(OpCodes.Ldc_I4, l.Step)
        il.Emit OpCodes.Add
        il.Emit(OpCodes.Stloc, iv)
        il.MarkLabel test
        il.Emit(OpCodes.Ldloc, iv)
        if outer then il.Emit OpCodes.Ldarg_2 else il.Emit(OpCodes.Ldc_I4, l.Hi)
        il.Emit(OpCodes.Blt, top)
        // a loop's results are its carried values after the last iteration
        List.iter2 (fun (r: Var) (v: Var, _) -> locals[r] <- locals[v]) l.Results l.Carried
        next ()
    match parallelOuter, stmts with
    | true, [ For l ] -> emitFor true l
    | true, _ -> fail $"{name}: a parallel segment must be a single loop"
    | false, _ -> List.iter (emitStmt false) stmts
    il.Emit OpCodes.Ret
    dm.CreateDelegate(typeof<Kernel>) :?> Kernel
