/// VarTable against Dictionary<Var, _>: random runs of set, remove and lookup over vars whose ids
/// cluster near the first one, sit below it, and lie millions of ids away (the far table), give
/// the same answers and counts.
module VarTableTests

open System.Collections.Generic
open Xunit
open FsCheck
open FsCheck.FSharp
open FsCheck.Xunit
open Cotangent.Core

type private Op =
    | Set of id: int64 * value: int
    | Remove of id: int64
    | Get of id: int64

let private ids =
    Gen.oneof [ Gen.choose (0, 5000) |> Gen.map (fun d -> 1_000_000L + int64 d)      // near the first
                Gen.choose (1, 200_000) |> Gen.map (fun d -> 1_000_000L - int64 d)   // below it, some past the window
                Gen.choose (0, 3) |> Gen.map (fun k -> 50_000_000L * int64 k + 7L) ] // far away

let private ops =
    Gen.oneof [ Gen.map2 (fun i v -> Set(i, v)) ids (Gen.choose (-9, 9))
                Gen.map Remove ids
                Gen.map Get ids ]
    |> Gen.listOf

let private var (id: int64) : Var = { Id = id; Aval = Aval.scalar F32 }

[<Property(MaxTest = 500)>]
let ``VarTable answers as a Dictionary of vars does`` () =
    Prop.forAll (Arb.fromGen (Gen.map2 (fun first rest -> Set(first, 0) :: rest) ids ops)) (fun run ->
        let table = VarTable<int>()
        let reference = Dictionary<Var, int>()
        run |> List.forall (fun op ->
            match op with
            | Set(id, value) ->
                table[var id] <- value
                reference[var id] <- value
                table.Count = reference.Count
            | Remove id -> table.Remove(var id) = reference.Remove(var id) && table.Count = reference.Count
            | Get id ->
                let found, value = table.TryGetValue(var id)
                let expected, want = reference.TryGetValue(var id)
                found = expected && (not found || value = want) && table.ContainsKey(var id) = expected))

[<Fact>]
let ``a missing var raises KeyNotFoundException naming it`` () =
    let table = VarTable<int>()
    table[var 5L] <- 1
    let e = Assert.Throws<KeyNotFoundException>(fun () -> table[var 6L] |> ignore)
    Assert.Contains("var 6", e.Message)

/// Scratch arrays come from a pool that other code returns dirty arrays to: `zeroed` must clear
/// what it hands out, and `ofList` must hold the list in order whatever the pool gave it.
[<Property(MaxTest = 300)>]
let ``Scratch holds its list and zeroes what the pool returned dirty`` (xs: int list) (dirt: int) =
    // leave a dirty array of every size the run may rent in the shared pool
    for size in [ 16; 32; 64; 128; 256; 512; 1024 ] do
        System.Buffers.ArrayPool<int>.Shared.Return(Array.create size (dirt ||| 1))
    use zero = Scratch.zeroed<int> xs.Length
    let zeroes = Array.init zero.Length (fun i -> zero[i])
    use held = Scratch.ofList xs
    let items = List.init held.Length (fun i -> held[i])
    Array.forall ((=) 0) zeroes && zeroes.Length = xs.Length && items = xs
