/// VarTable: the passes' map from the vars of a program to values, in place of a Dictionary
/// keyed by var. Takes vars (by Id); returns what was stored, like a Dictionary. Guarantees: the
/// same answers as Dictionary<Var, 'T> under Var's equality, and no array on the large-object heap.
/// Why: a program's var ids are dense (the 26k-equation JacRev program's span 46k ids), so pages
/// of 1024 slots indexed by id hold them in small arrays, where a Dictionary of 26k entries
/// allocates ~1 MB on the large-object heap, whose budget, not the allocation volume, was what
/// set off most collections during a compile. Pages too far from the first one (vars of very
/// different ages) go to a Dictionary. As a set of vars, a VarTable<bool>: a page of `unit`s is
/// 8 KB of null references, one of bools 1 KB.
namespace Cotangent.Core

open System.Collections.Generic

/// 1024 slots of a VarTable and which of them hold a value.
type private Page<'T> = { Items: 'T[]; Has: bool[] }

// Literals, not a generic class's statics: code shared by every VarTable of a reference type
// would look those up through the runtime's generic dictionary at each access.
module private Pages =
    [<Literal>]
    let Bits = 10
    [<Literal>]
    let Size = 1024
    /// Page slots at most: 8192 pages (8M ids around the first) in a 64 KB array.
    [<Literal>]
    let Max = 8192

[<Sealed>]
type VarTable<'T>() =
    let mutable first = 0L
    let mutable pages: Page<'T>[] = [||]
    let far = Dictionary<Var, 'T>()
    let mutable count = 0

    /// The page holding `id`, made when `create`; None outside the window (or absent).
    let page (id: int64) (create: bool) : Page<'T> voption =
        if pages.Length = 0 && create then
            // room for 64K ids below the first (inputs are made before the equations reading them)
            first <- (id >>> Pages.Bits) - 64L
            pages <- Array.zeroCreate 128
        let k = (id >>> Pages.Bits) - first
        if k < 0L || k >= int64 Pages.Max then ValueNone
        else
            let k = int k
            if k >= pages.Length then
                if create then System.Array.Resize(&pages, min Pages.Max (max (k + 1) (2 * pages.Length)))
            if k < pages.Length && not (obj.ReferenceEquals(pages[k], null)) then ValueSome pages[k]
            elif create && k < pages.Length then
                pages[k] <- { Items = Array.zeroCreate Pages.Size; Has = Array.zeroCreate Pages.Size }
                ValueSome pages[k]
            else ValueNone

    member _.Count = count

    member _.TryGetValue(v: Var, [<System.Runtime.InteropServices.Out>] value: byref<'T>) : bool =
        match page v.Id false with
        | ValueSome p ->
            let i = int (v.Id &&& int64 (Pages.Size - 1))
            if p.Has[i] then
                value <- p.Items[i]
                true
            else false
        | ValueNone -> far.Count > 0 && far.TryGetValue(v, &value)

    /// The value stored for `v`, else `fallback`.
    member this.GetValueOrDefault(v: Var, fallback: 'T) : 'T =
        let mutable value = Unchecked.defaultof<'T>
        if this.TryGetValue(v, &value) then value else fallback

    member this.ContainsKey(v: Var) =
        let mutable ignored = Unchecked.defaultof<'T>
        this.TryGetValue(v, &ignored)

    member this.Item
        with get (v: Var) : 'T =
            let mutable value = Unchecked.defaultof<'T>
            if this.TryGetValue(v, &value) then value
            else raise (KeyNotFoundException $"var {v.Id} is not in the table")
        and set (v: Var) (value: 'T) =
            match page v.Id true with
            | ValueSome p ->
                let i = int (v.Id &&& int64 (Pages.Size - 1))
                if not p.Has[i] then
                    p.Has[i] <- true
                    count <- count + 1
                p.Items[i] <- value
            | ValueNone ->
                if not (far.ContainsKey v) then count <- count + 1
                far[v] <- value

    /// Removes `v`; true when it was there.
    member _.Remove(v: Var) : bool =
        match page v.Id false with
        | ValueSome p ->
            let i = int (v.Id &&& int64 (Pages.Size - 1))
            if p.Has[i] then
                p.Has[i] <- false
                p.Items[i] <- Unchecked.defaultof<'T>
                count <- count - 1
                true
            else false
        | ValueNone ->
            if far.Remove v then
                count <- count - 1
                true
            else false
