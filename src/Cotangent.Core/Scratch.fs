/// Scratch: a pass's temporary per-equation arrays (its equations as an array, a level per
/// equation), rented from the shared array pool and given back when disposed. Takes a length
/// or a list; returns an array whose first `Length` slots are the contents (it may be longer).
/// Why: one array per equation of the 26k-equation JacRev program is 104–208 KB, on the
/// large-object heap, whose budget, not the allocation volume, sets off full collections.
namespace Cotangent.Core

open System
open System.Buffers

/// `Items[0 .. Length-1]`, rented; disposing gives the array back (references cleared), after
/// which it must not be read.
[<NoEquality; NoComparison>]
type Scratch<'T> =
    { Items: 'T[]
      Length: int }
    member s.Item
        with get (i: int) = s.Items[i]
        and set (i: int) (value: 'T) = s.Items[i] <- value
    interface IDisposable with
        member s.Dispose() = if s.Items.Length > 0 then ArrayPool<'T>.Shared.Return(s.Items, true)

module Scratch =
    /// `length` default values (a pool's array may hold another user's leftovers: cleared here).
    let zeroed<'T> (length: int) : Scratch<'T> =
        let items = if length = 0 then [||] else ArrayPool<'T>.Shared.Rent length
        Array.Clear(items, 0, length)
        { Items = items; Length = length }

    /// The elements of `xs`, in order.
    let ofList (xs: 'T list) : Scratch<'T> =
        let s = zeroed<'T> (List.length xs)
        let mutable i = 0
        for x in xs do
            s.Items[i] <- x
            i <- i + 1
        s
