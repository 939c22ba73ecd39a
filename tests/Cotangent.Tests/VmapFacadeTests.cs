// Jax.Vmap forwards to the F# core: overloads bind for 1-3 tensors and arrays, and errors arrive
// as ArgumentExceptions that name the argument and its shape.
using Cotangent;
using Xunit;

public class VmapFacadeTests
{
    [Fact]
    public void MappingAScalarNamesTheArgumentAndItsType()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap(Jnp.Sin)(1f));
        Assert.Contains("argument 0", ex.Message);
        Assert.Contains("f32[]", ex.Message);
    }

    [Fact]
    public void AllArgumentsUnmappedIsAnError()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap((x, y) => x * y, [null, null])(1f, 2f));
        Assert.Contains("in_axes must have at least one non-None value", ex.Message);
    }

    [Fact]
    public void TheWrongNumberOfInAxesNamesBothCounts()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap((x, y, z) => x * y + z, [0, null])(1f, 2f, 3f));
        Assert.Contains("len(in_axes)=2, len(args)=3", ex.Message);
    }

    [Fact]
    public void TheArrayOverloadForwardsItsInAxes()
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Jax.Vmap(xs => xs, [0], [0, 0])([1f]));
        Assert.Contains("argument 0", ex.Message);
    }
}
