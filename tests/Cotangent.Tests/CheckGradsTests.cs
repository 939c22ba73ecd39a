// Jax.CheckGrads: derivatives checked against finite differences (float64 for tight checks),
// in both modes and at orders 1-3, on tensors and pytrees; a wrong derivative is caught.
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class CheckGradsTests
{
    private static Tensor D(params double[] xs) => Array(xs);

    [Fact]
    public void SmoothFunctionsPassAtOrdersOneToThree()
    {
        Jax.CheckGrads(Sin, D(0.3, -1.2, 2.0), 3);
        Jax.CheckGrads(x => Tanh(x) * Exp(-x * x), D(0.1, 0.7), 2, GradCheckModes.Fwd);
        Jax.CheckGrads(x => Sum(Log1p(x * x)), D(0.5, 1.5, -2.5), 2, GradCheckModes.Rev);
        Jax.CheckGrads((x, y) => Matmul(x, y), (Array([1.0, 2, 3, 4], [2, 2]), Array([0.5, -1, 2, 0.25], [2, 2])), 2);
        Jax.CheckGrads((x, y, z) => x * Sin(y) / (1.0 + z * z), (D(1.1), D(0.4), D(-0.8)), 2);
    }

    [Fact]
    public void PytreeFunctionsPass()
    {
        var ps = new Dictionary<string, Tensor> { ["w"] = Array([0.2, -0.4, 0.6, 0.8, -1.0, 1.2], [3, 2]), ["b"] = D(0.1, -0.1) };
        Jax.CheckGrads((Dictionary<string, Tensor> p, Tensor x) => Tanh(Matmul(x, p["w"]) + p["b"]), (ps, Array([1.0, 2, 3, -1, 0, 0.5], [2, 3])), 2);
        Jax.CheckGrads((Tensor[] xs) => (xs[0] * xs[1], new List<Tensor> { Sin(xs[0]) }), [D(0.3, 0.4), D(2.0, -1.0)], 2);
    }

    // value x^2, but its derivative claims 1: the AD rule and the finite differences disagree
    private static Tensor Liar(Tensor x) => x - StopGradient(x) + StopGradient(x * x);

    [Fact]
    public void AWrongDerivativeIsCaughtInEachMode()
    {
        var fwd = Assert.ThrowsAny<ArgumentException>(() => Jax.CheckGrads(Liar, D(3.0), 1, GradCheckModes.Fwd));
        Assert.Contains("check_grads", fwd.Message);
        Assert.Contains("fwd", fwd.Message);
        var rev = Assert.ThrowsAny<ArgumentException>(() => Jax.CheckGrads(Liar, D(3.0), 1, GradCheckModes.Rev));
        Assert.Contains("rev", rev.Message);
        // value x^2 and first derivative 2x (held constant): right at order 1, wrong at order 2
        Func<Tensor, Tensor> secondLiar = x => StopGradient(x * x) + StopGradient(2.0 * x) * (x - StopGradient(x));
        Jax.CheckGrads(secondLiar, D(1.5), 1);
        Assert.Contains("order", Assert.ThrowsAny<ArgumentException>(() => Jax.CheckGrads(secondLiar, D(1.5), 2, GradCheckModes.Fwd)).Message);
        Assert.ThrowsAny<ArgumentException>(() => Jax.CheckGrads(secondLiar, D(1.5), 2, GradCheckModes.Rev));
        var pytree = Assert.ThrowsAny<ArgumentException>(() => Jax.CheckGrads((Tensor[] xs) => Liar(xs[1]) + xs[0], [D(1.0), D(3.0)], 1));
        Assert.Contains("check_grads", pytree.Message);
    }

    [Fact]
    public void OrderAndModesAreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Jax.CheckGrads(Sin, D(1.0), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Jax.CheckGrads(Sin, D(1.0), 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Jax.CheckGrads(Sin, D(1.0), 1, (GradCheckModes)4));
    }
}
