/// The `cotangent-opt` entry point: Opt.run over the process's arguments and standard streams.
module Cotangent.Opt.Program

[<EntryPoint>]
let main argv = Opt.run argv stdin stdout stderr
