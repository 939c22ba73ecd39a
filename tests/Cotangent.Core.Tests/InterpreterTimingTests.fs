/// The interpreter's eager dispatch cost, timed alone: xunit runs this collection after the
/// parallel ones, so property tests on the same few cores do not skew it.
[<Xunit.Collection("timing")>]
module InterpreterTimingTests

open System
open Xunit
open Cotangent.Core
open Cotangent.Core.Dialects.Lax
open Cotangent.Core.Backend

[<CollectionDefinition("timing", DisableParallelization = true)>]
type TimingCollection() = class end

[<Fact>]
let ``scalar f32 dispatch costs well under a microsecond`` () =
    let x = NdArray.scalar F32 false 1.5
    let y = NdArray.scalar F32 false 2.5
    let calls = 10_000
    // The best of several batches: the first pays for JIT tiering, any may lose the core.
    let batch () =
        let clock = Diagnostics.Stopwatch.StartNew()
        for _ in 1..calls do
            Interpreter.eval Mul [ x; y ] |> ignore
        clock.Elapsed.TotalNanoseconds / float calls
    let nanoseconds = List.init 20 (fun _ -> batch ()) |> List.min
    Assert.True(nanoseconds < 1000.0, $"eval mul on f32[] took {nanoseconds:F0} ns per call")
