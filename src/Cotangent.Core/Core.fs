namespace Cotangent
module Placeholder =
    let x = 1
