/// The types every lax-level pass shares: a pass is a pure `ClosedJaxpr<Prim> -> ClosedJaxpr<Prim>
/// * Stats`, and its statistics are named counters, printed as MLIR prints pass statistics
/// (`--pass-statistics`). Takes and returns nothing else; passes never mutate their input.
module Cotangent.Core.Passes.PassTypes

/// A pass counter: name as MLIR prints it (e.g. "num-cse'd"), value, one-line description.
type Stat = { Name: string; Value: int; Description: string }

type Stats = Stat list

/// A counter of `value` named `name`.
let stat (name: string) (description: string) (value: int) : Stat =
    { Name = name; Value = value; Description = description }
