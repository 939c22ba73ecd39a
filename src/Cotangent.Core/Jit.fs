/// The jit compiler: a lax program through the pass pipeline (inline, dce, reroll, cse, simplify on lax;
/// fuse to kernels; lower-to-loops; vectorize; fp-contract) to an executable. Takes pass-manager
/// options (the dump flags); returns the compiled program with its readable text. Guarantees: a
/// custom pipeline that stops early is finished with the conversions execution needs (fuse,
/// lower-to-loops), and the executable computes what the interpreter computes (up to the
/// documented approximation bounds, the reassociation of vectorized reductions and the one
/// rounding a fused multiply-add skips; `--disable-pass=fp-contract` keeps every rounding).
module Cotangent.Core.Jit

open System.Text
open Cotangent.Core.Dialects
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.PassManager

/// A module at one stage of progressive lowering.
type Module =
    | LaxModule of ClosedJaxpr<Prim>
    | KernelModule of ClosedJaxpr<Kernel.Op>
    | LoopModule of Vec.VecProgram

let private stageName m =
    match m with
    | LaxModule _ -> "lax"
    | KernelModule _ -> "kernel"
    | LoopModule _ -> "loop"

let private stats (xs: (string * int * string) list) : Stat list =
    xs |> List.map (fun (n, v, d) -> { Name = n; Value = v; Description = d })

// the pass manager checks each pass's dialect before running it; this guards direct calls
let private wrong (pass: string) (expected: string) (m: Module) : 'a =
    raise (CotangentException(pass, $"expects the {expected} dialect, got a {stageName m} module; order the pipeline lax passes, fuse, lower-to-loops, vectorize, fp-contract", None))

let private onLax name title description (f: ClosedJaxpr<Prim> -> ClosedJaxpr<Prim> * Stat list) : Pass<Module> =
    { Name = name; Title = title; Description = description; Consumes = "lax"; Produces = "lax"
      Run = fun m -> match m with LaxModule c -> (let r, s = f c in LaxModule r, s) | _ -> wrong name "lax" m }

let private fusePass: Pass<Module> =
    { Name = "fuse"; Title = "Fuse"; Consumes = "lax"; Produces = "kernel"
      Description = "Groups elementwise ops, index remaps and trailing reductions into kernel.fusion ops (lax → kernel)"
      Run = fun m -> match m with LaxModule c -> (let r, s = Passes.Fuse.run c in KernelModule r, stats s) | _ -> wrong "fuse" "lax" m }

let private lowerPass: Pass<Module> =
    { Name = "lower-to-loops"; Title = "LowerToLoops"; Consumes = "kernel"; Produces = "loop"
      Description = "Lowers kernels to loop nests over planned buffers (kernel → loop)"
      Run = fun m -> match m with KernelModule c -> (let r, s = Passes.LowerToLoops.run c in LoopModule r, stats s) | _ -> wrong "lower-to-loops" "kernel" m }

let private vectorizePass: Pass<Module> =
    { Name = "vectorize"; Title = "Vectorize"; Consumes = "loop"; Produces = "loop"
      Description = "Turns contiguous innermost loops into Vector256 loops with scalar tails (loop → vec)"
      Run = fun m -> match m with LoopModule p -> (let r, s = Passes.Vectorize.run p in LoopModule r, stats s) | _ -> wrong "vectorize" "loop" m }

let private fpContractPass: Pass<Module> =
    { Name = "fp-contract"; Title = "FpContract"; Consumes = "loop"; Produces = "loop"
      Description = "Fuses a vector multiply read only by an add into one vec.fma, rounded once (XLA:CPU's default)"
      Run = fun m -> match m with LoopModule p -> (let r, s = Passes.FpContract.run p in LoopModule r, stats s) | _ -> wrong "fp-contract" "loop" m }

/// Every pass `--pipeline` may name.
let registry: Pass<Module> list =
    [ onLax "inline" "Inliner" "Inlines every pjit region into its caller" Passes.Inline.inlineCalls
      onLax "dce" "DCE" "Removes equations and consts whose results are unused" Passes.Dce.dce
      onLax "cse" "CSE" "Merges equations that compute the same op on the same operands" Passes.Cse.cse
      onLax "reroll" "Reroll" "Rolls runs of a repeated block of equations (an unrolled loop) into one scan" Passes.Reroll.reroll
      onLax "simplify" "Simplify" "Folds constants and applies IEEE-safe identities (x*1, x-0, reshape of reshape, ...)" Passes.Simplify.simplify
      fusePass
      lowerPass
      vectorizePass
      fpContractPass ]

/// What Jit runs when no pipeline is given.
let defaultPipeline = [ "inline"; "dce"; "reroll"; "cse"; "simplify"; "fuse"; "lower-to-loops"; "vectorize"; "fp-contract" ]

/// A Graphviz picture: one node per op, one cluster per fused kernel (its body's ops inside).
let private dot (m: Module) =
    let sb = StringBuilder("digraph cotangent {\n  rankdir=TB;\n  node [shape=box, fontname=monospace];\n")
    let id (v: Var) = $"v{v.Id}"
    let edgeFrom (a: Atom) (target: string) =
        match a with
        | Var v -> sb.Append($"  {id v} -> {target};\n") |> ignore
        | Lit _ -> ()
    let inputs (vars: Var list) = for v in vars do sb.Append($"  {id v} [label=\"{Aval.str v.Aval}\", shape=ellipse];\n") |> ignore
    let eqn (k: int) (name: string) (ins: Atom list) (outs: Var list) =
        let node = $"op{k}"
        sb.Append($"  {node} [label=\"{name}\"];\n") |> ignore
        for a in ins do edgeFrom a node
        for v in outs do sb.Append($"  {id v} [label=\"{Aval.str v.Aval}\", shape=ellipse];\n  {node} -> {id v};\n") |> ignore
    match m with
    | LaxModule c ->
        inputs (c.Jaxpr.ConstVars @ c.Jaxpr.InVars)
        c.Jaxpr.Eqns |> List.iteri (fun k e -> eqn k (Lax.name e.Op) e.Inputs e.Outs)
    | KernelModule c ->
        inputs (c.Jaxpr.ConstVars @ c.Jaxpr.InVars)
        c.Jaxpr.Eqns |> List.iteri (fun k e ->
            match e.Op with
            | Kernel.Lax p -> eqn k (Lax.name p) e.Inputs e.Outs
            | Kernel.Fusion f ->
                sb.Append($"  subgraph cluster_{k} {{\n    label=\"{f.Name}\";\n") |> ignore
                f.Body.Eqns |> List.iteri (fun j b -> sb.Append($"    op{k}_{j} [label=\"{Lax.name b.Op}\"];\n") |> ignore)
                sb.Append($"    op{k} [label=\"{f.Name} {Shape.pyTuple f.Space}\", shape=plaintext];\n  }}\n") |> ignore
                for a in e.Inputs do edgeFrom a $"op{k}"
                for v in e.Outs do sb.Append($"  {id v} [label=\"{Aval.str v.Aval}\", shape=ellipse];\n  op{k} -> {id v};\n") |> ignore)
    | LoopModule p ->
        p.Body |> List.iteri (fun k s ->
            let label =
                match s with
                | Loop.For l -> $"loop.for {l.Lo}..{l.Hi} step {l.Step}"
                | Loop.Call(prim, _, _) -> $"loop.call @{Lax.name prim}"
                | Loop.Fill _ -> "loop.fill"
                | Loop.Load _ | Loop.Compute _ | Loop.Store _ | Loop.Accum _ | Loop.Ext _ -> "scalar"
            sb.Append($"  s{k} [label=\"{label}\"];\n") |> ignore
            if k > 0 then sb.Append($"  s{k - 1} -> s{k};\n") |> ignore)
    sb.Append("}\n").ToString()

let private print (format: DumpFormat) (m: Module) =
    match format, m with
    | Dot, m -> dot m
    | Jaxpr, LaxModule c -> LaxText.print c.Jaxpr
    | Ir, LaxModule c -> LaxGeneric.print c
    | Jaxpr, KernelModule c -> Kernel.print c.Jaxpr
    | Ir, KernelModule c -> KernelGeneric.print c
    | (Jaxpr | Ir), LoopModule p -> Vec.print p

let private verify (m: Module) =
    let problems =
        match m with
        | LaxModule c -> LaxVerify.verify c.Jaxpr
        | KernelModule c -> Kernel.verify c.Jaxpr
        | LoopModule p -> Vec.verify false p
    if not problems.IsEmpty then
        raise (CotangentException("verifier", System.String.Join("; ", problems), None))

let hooks: Hooks<Module> =
    { Print = print; Verify = verify; Extension = (fun f -> match f with Dot -> "dot" | Jaxpr | Ir -> "ir"); Dialect = stageName }

/// The input avals of a module at any stage.
let inputAvals (m: Module) : Aval list =
    match m with
    | LaxModule c -> c.Jaxpr.InVars |> List.map (fun v -> v.Aval)
    | KernelModule c -> c.Jaxpr.InVars |> List.map (fun v -> v.Aval)
    | LoopModule p -> p.Args |> List.map (fun b -> b.Aval)

/// Runs a module at any stage: lax and kernel by their reference evaluators, loops compiled.
let evalModule (m: Module) (args: NdArray list) : NdArray list =
    match m with
    | LaxModule c -> Backend.Interpreter.evalJaxpr c.Jaxpr c.Consts args
    | KernelModule c -> Kernel.eval c args
    | LoopModule p -> (Backend.Runtime.compile p).Run args

/// A compiled program: an executable, the pass manager's report and the optimized program's
/// text, made when first asked for.
type Compiled =
    { Run: NdArray list -> NdArray list
      Report: Report
      Text: Lazy<string> }

/// The readable compiled program: the fused kernels as jaxpr-like bodies, then the loops.
let text (c: Compiled) = c.Text.Value

/// The pipeline of `options` run on `closed`, finished down to the vec dialect when a custom
/// pipeline stopped early; gives the kernel program (when fuse ran and `keepKernels`), the vec
/// program and the report. Not kept, the kernel program can die while the later passes run.
let private optimize (keepKernels: bool) (options: Options) (sink: string -> unit) (closed: ClosedJaxpr<Prim>) =
    let mutable kernels = None
    let capture (p: Pass<Module>) =
        { p with Run = fun m -> let r, s = p.Run m in (match r with KernelModule k when keepKernels -> kernels <- Some k | _ -> ()); r, s }
    let registry = registry |> List.map capture
    let final, report = PassManager.run options registry defaultPipeline hooks sink (LaxModule closed)
    let rec finish m =
        match m with
        | LaxModule _ -> finish (fst ((capture fusePass).Run m))
        | KernelModule _ -> finish (fst (lowerPass.Run m))
        | LoopModule p -> p
    let program = finish final
    kernels, program, report

/// Compiles a lax program with the pass pipeline chosen by `options` (dumps go to `sink`). The
/// optimized program is not kept: for its text, the same pipeline runs again on `closed` (which
/// the jit cache keeps anyway) without dumps. The passes are deterministic and the printers
/// number vars in order, so the text is the one the executable was compiled from. Holding the
/// kernel and vec programs for it kept 7 MB more alive per compiled JacRev loop (15 MB in all,
/// 8 MB now, of which 6.8 MB is the traced program).
let compileWith (options: Options) (sink: string -> unit) (closed: ClosedJaxpr<Prim>) : Compiled =
    let _, program, report = optimize false options sink closed
    let exe = Backend.Runtime.compile program
    // the same passes, printing nothing
    let quiet = { Options.empty with Pipeline = options.Pipeline; DisabledPasses = options.DisabledPasses; VerifyEach = options.VerifyEach }
    let text () =
        let kernels, program, _ = optimize true quiet ignore closed
        let kernelText = match kernels with Some k -> Kernel.print k.Jaxpr + "\n\n" | None -> ""
        kernelText + Vec.print program
    { Run = exe.Run; Report = report; Text = lazy (text ()) }

/// Compiles with the options in `COTANGENT_FLAGS` (dumps to stderr).
let compile (closed: ClosedJaxpr<Prim>) =
    compileWith (PassManager.fromEnvironment Options.empty) (fun s -> eprintf "%s" s) closed
