module Cotangent.Core.Tests.Main

[<EntryPoint>]
let main _ = 0
