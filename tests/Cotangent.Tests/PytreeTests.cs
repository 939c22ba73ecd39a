// Pytrees: flattening order (JAX's: by position, dictionaries by sorted key), structures as JAX
// prints them, and rebuilding that keeps each container's type.
using System.Collections.ObjectModel;
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class PytreeTests
{
    private static Tensor S(float x) => Array([x], []);

    private static float[] Values(IEnumerable<Tensor> leaves) => leaves.Select(t => t.ToScalar<float>()).ToArray();

    [Fact]
    public void LeavesComeInJaxsOrderWithDictionariesSortedByKey()
    {
        var dict = new Dictionary<string, Tensor> { ["b"] = S(2), ["a"] = S(1), ["B"] = S(0) };
        Assert.Equal([0f, 1f, 2f], Values(Tree.Leaves(dict))); // ordinal: "B" < "a" < "b"
        object tree = (S(1), new[] { S(2), S(3) }, new List<(Tensor, Tensor)> { (S(4), S(5)) }, new Dictionary<string, Tensor> { ["y"] = S(7), ["x"] = S(6) });
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f, 7f], Values(Tree.Leaves(tree)));
    }

    [Fact]
    public void StructuresPrintAsJaxPrintsThem()
    {
        Assert.Equal("PyTreeDef(*)", Tree.Structure(S(1)).ToString());
        Assert.Equal("PyTreeDef(None)", Tree.Structure(null).ToString());
        Assert.Equal("PyTreeDef((*, [*, *], {'a': *, 'b': (*,)}))",
            Tree.Structure((S(1), new List<Tensor> { S(2), S(3) }, new Dictionary<string, object> { ["b"] = ValueTuple.Create(S(4)), ["a"] = S(5) })).ToString());
        Assert.Equal(5, Tree.Structure((S(1), new[] { S(2), S(3) }, (S(4), S(5)))).LeafCount);
    }

    [Fact]
    public void ArraysAndListsHaveTheSameStructureButTuplesDoNot()
    {
        Assert.Equal(Tree.Structure(new[] { S(1), S(2) }), Tree.Structure(new List<Tensor> { S(3), S(4) }));
        Assert.NotEqual(Tree.Structure(new[] { S(1), S(2) }), Tree.Structure((S(3), S(4))));
        Assert.NotEqual(Tree.Structure(new[] { S(1), S(2) }), Tree.Structure(new[] { S(1), S(2), S(3) }));
        Assert.NotEqual(Tree.Structure(new Dictionary<string, Tensor> { ["a"] = S(1) }), Tree.Structure(new Dictionary<string, Tensor> { ["b"] = S(1) }));
    }

    [Fact]
    public void UnflattenRebuildsEachContainerType()
    {
        var tree = (new[] { S(1), S(2) }, new List<Tensor> { S(3) }, new ReadOnlyCollection<Tensor>([S(4)]),
            new SortedDictionary<string, Tensor> { ["k"] = S(5) }, new Dictionary<string, Tensor[]> { ["v"] = [S(6)] });
        var (leaves, def) = Tree.Flatten(tree);
        var rebuilt = Tree.Unflatten<(Tensor[], List<Tensor>, ReadOnlyCollection<Tensor>, SortedDictionary<string, Tensor>, Dictionary<string, Tensor[]>)>(
            def, leaves.Select(x => x * 10));
        Assert.Equal([10f, 20f], Values(rebuilt.Item1));
        Assert.Equal([30f], Values(rebuilt.Item2));
        Assert.Equal([40f], Values(rebuilt.Item3));
        Assert.Equal(50f, rebuilt.Item4["k"].ToScalar<float>());
        Assert.Equal(60f, rebuilt.Item5["v"][0].ToScalar<float>());
    }

    [Fact]
    public void InterfaceTypedTreesRebuildAsArraysAndDictionaries()
    {
        IReadOnlyList<Tensor> list = new[] { S(1), S(2) };
        var doubled = Tree.Map(x => x * 2, list);
        Assert.IsType<Tensor[]>(doubled);
        Assert.Equal([2f, 4f], Values(doubled));
        IReadOnlyDictionary<string, Tensor> dict = new Dictionary<string, Tensor> { ["w"] = S(3) };
        Assert.Equal(9f, Tree.Map(x => x * 3, dict)["w"].ToScalar<float>());
    }

    [Fact]
    public void TuplesOfAnyArityRoundTrip()
    {
        var nine = (S(1), S(2), S(3), S(4), S(5), S(6), S(7), S(8), (S(9), S(10)));
        Assert.Equal(10, Tree.Structure(nine).LeafCount);
        var back = Tree.Map(x => x + 1, nine);
        Assert.Equal(9f, back.Item8.ToScalar<float>());
        Assert.Equal(11f, back.Item9.Item2.ToScalar<float>());
        var reference = Tuple.Create(S(1), new[] { S(2) });
        Assert.Equal(3f, Tree.Map(x => x + 1, reference).Item2[0].ToScalar<float>());
    }

    [Fact]
    public void NullIsANodeWithoutLeaves()
    {
        (Tensor, Tensor[]?) tree = (S(1), null);
        Assert.Equal("PyTreeDef((*, None))", Tree.Structure(tree).ToString());
        Assert.Null(Tree.Map(x => x, tree).Item2);
    }

    [Fact]
    public void MapOfTwoTreesTakesAGradientStep()
    {
        var ps = new Dictionary<string, Tensor> { ["w"] = S(1), ["b"] = S(2) };
        var gs = new Dictionary<string, Tensor> { ["b"] = S(10), ["w"] = S(20) };
        var next = Tree.Map((p, g) => p - 0.1f * g, ps, gs);
        Assert.Equal(-1f, next["w"].ToScalar<float>(), 5);
        Assert.Equal(1f, next["b"].ToScalar<float>(), 5);
    }

    [Fact]
    public void MismatchedStructuresAreNamedBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tree.Map((p, g) => p + g, new[] { S(1), S(2) }, new[] { S(1) }));
        Assert.Contains("PyTreeDef([*, *])", ex.Message);
        Assert.Contains("PyTreeDef([*])", ex.Message);
        var count = Assert.Throws<ArgumentException>(() => Tree.Unflatten<Tensor[]>(Tree.Structure(new[] { S(1), S(2) }), [S(1)]));
        Assert.Contains("has 2 leaves, but 1 were given", count.Message);
    }

    [Fact]
    public void WhatIsNotAPytreeIsNamed()
    {
        var set = Assert.Throws<ArgumentException>(() => Tree.Leaves(new HashSet<Tensor> { S(1) }));
        Assert.Contains("HashSet<Tensor> is not a pytree", set.Message);
        Assert.Contains("ToArray()", set.Message);
        var number = Assert.Throws<ArgumentException>(() => Tree.Leaves((S(1), 2.0)));
        Assert.Contains("Double is not a pytree", number.Message);
        var keys = Assert.Throws<ArgumentException>(() => Tree.Leaves(new Dictionary<int, Tensor> { [1] = S(1) }));
        Assert.Contains("keys must be strings", keys.Message);
    }

    [Fact]
    public void ARebuiltTreeOfAnUnsupportedDeclaredTypeIsExplained()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tree.Map(x => x, System.Collections.Immutable.ImmutableList.Create(S(1))));
        Assert.Contains("cannot be passed as ImmutableList<Tensor>", ex.Message);
    }
}
