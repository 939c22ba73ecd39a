module Tests
open Xunit
open FsCheck.Xunit
[<Fact>]
let ``one`` () = Assert.Equal(1, Cotangent.Placeholder.x)
[<Property>]
let ``rev rev`` (xs: int list) = List.rev (List.rev xs) = xs
