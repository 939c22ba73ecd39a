// Jax.JacFwd, Jax.JacRev, Jax.Hessian: known Jacobians and Hessians, both modes agreeing, and
// the structures of Jacobians of pytree functions (the output's tree of the argument's trees).
using Cotangent;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

public class JacobianTests
{
    private static Tensor V(params float[] xs) => Array(xs);

    private static readonly Tensor A = Array([1f, 2, 3, 4, 5, 6], [2, 3]);

    private static Tensor Linear(Tensor x) => Matmul(A, x);

    private static Tensor Quadratic(Tensor x) => Sum(x * Matmul(Array([2f, 1, 0, 3], [2, 2]), x));

    [Fact]
    public void TheJacobianOfALinearMapIsItsMatrixInBothModes()
    {
        Check.F32(Jax.JacFwd(Linear)(V(1, 1, 1)), [2, 3], 1, 2, 3, 4, 5, 6);
        Check.F32(Jax.JacRev(Linear)(V(1, 1, 1)), [2, 3], 1, 2, 3, 4, 5, 6);
    }

    [Fact]
    public void TheJacobianOfAnElementwiseFunctionIsDiagonal()
    {
        var x = V(0.5f, 2);
        float c0 = MathF.Cos(0.5f), c1 = MathF.Cos(2);
        Check.F32(Jax.JacFwd(Sin)(x), [2, 2], c0, 0, 0, c1);
        Check.F32(Jax.JacRev(Sin)(x), [2, 2], c0, 0, 0, c1);
    }

    [Fact]
    public void JacobiansWithArgnums()
    {
        Func<Tensor, Tensor, Tensor> f = (x, y) => x * y;
        Check.F32(Jax.JacFwd(f, 1)(V(2, 3), V(5, 7)), [2, 2], 2, 0, 0, 3);
        var both = Jax.JacRev(f, [0, 1])(V(2, 3), V(5, 7));
        Check.F32(both[0], [2, 2], 5, 0, 0, 7);
        Check.F32(both[1], [2, 2], 2, 0, 0, 3);
        Check.F32(Jax.JacFwd(f, [1])(V(2, 3), V(5, 7))[0], [2, 2], 2, 0, 0, 3);
        Check.F32(Jax.JacRev((Tensor x, Tensor y, Tensor z) => x * y * z, 2)(2f, 3f, 4f), Check.Scalar, 6);
    }

    [Fact]
    public void TheJacobianOfATensorFunctionOfAPytreeHasTheArgumentsStructure()
    {
        var ps = new Dictionary<string, Tensor> { ["w"] = V(1, 2), ["b"] = V(3) };
        Func<Dictionary<string, Tensor>, Tensor> f = p => p["w"] * p["b"];
        foreach (var jac in new[] { Jax.JacFwd(f)(ps), Jax.JacRev(f)(ps) })
        {
            Check.F32(jac["w"], [2, 2], 3, 0, 0, 3);
            Check.F32(jac["b"], [2, 1], 1, 2);
        }
    }

    [Fact]
    public void TheJacobianOfAPytreeFunctionOfATensorHasTheOutputsStructure()
    {
        Func<Tensor, (Tensor, Tensor[])> f = x => (Sum(x), [x * 2f]);
        foreach (var jac in new[] { Jax.JacFwd(f)(V(1, 2)), Jax.JacRev(f)(V(1, 2)) })
        {
            Check.F32(jac.Item1, [2], 1, 1);
            Check.F32(jac.Item2[0], [2, 2], 2, 0, 0, 2);
        }
    }

    [Fact]
    public void TheJacobianOfAPytreeFunctionOfAPytreeNestsTheArgumentInTheOutput()
    {
        Func<Tensor[], (Tensor, Tensor)> f = xs => (xs[0] * xs[1], Sum(xs[0]));
        var jac = ((Tensor[], Tensor[]))Jax.JacFwd(f)([V(2), V(3)])!;
        Check.F32(jac.Item1[0], [1, 1], 3);
        Check.F32(jac.Item1[1], [1, 1], 2);
        Check.F32(jac.Item2[0], [1], 1);
        Check.F32(jac.Item2[1], [1], 0);
        var rev = ((Tensor[], Tensor[]))Jax.JacRev(f)([V(2), V(3)])!;
        Check.F32(rev.Item1[1], [1, 1], 2);

        var wrtY = Assert.IsType<Tensor>(Jax.JacRev((Tensor[] xs, Tensor y) => xs[0] * y, 1)([V(2), V(5)], V(3)));
        Check.F32(wrtY, [1, 1], 2);
        var many = Assert.IsType<object[]>(Jax.JacFwd((Tensor[] xs, Tensor y) => xs[0] * y, [0, 1])([V(2)], V(3)));
        Check.F32(Assert.IsType<Tensor[]>(many[0])[0], [1, 1], 3);
        Check.F32(Assert.IsType<Tensor>(many[1]), [1, 1], 2);
    }

    [Fact]
    public void TheHessianOfAQuadraticFormIsTheSymmetrizedMatrix()
    {
        // x^T B x with B = [[2, 1], [0, 3]]: Hessian B + B^T
        Check.F32(Jax.Hessian(Quadratic)(V(1, -1)), [2, 2], 4, 1, 1, 6);
        Check.F32(Jax.Hessian((Tensor x, Tensor y) => Sum(x * x * y), 1)(V(1, 2), V(3, 4)), [2, 2], 0, 0, 0, 0);
        var blocks = Jax.Hessian((Tensor x, Tensor y) => Sum(x * x * y), [0, 1])(V(1, 2), V(3, 4));
        Check.F32(blocks[0][0], [2, 2], 6, 0, 0, 8);
        Check.F32(blocks[0][1], [2, 2], 2, 0, 0, 4);
        Check.F32(blocks[1][0], [2, 2], 2, 0, 0, 4);
    }

    [Fact]
    public void JacFwdOfJacRevIsTheHessian()
    {
        Func<Tensor, Tensor> f = x => Sum(Sin(x) * x * x);
        var x = V(0.3f, -1.1f, 2);
        Check.F32(Jax.JacFwd(Jax.JacRev(f))(x), [3, 3], Jax.Hessian(f)(x).ToArray<float>());
        Check.F32(Jax.JacRev(Jax.JacFwd(f))(x), [3, 3], Jax.Hessian(f)(x).ToArray<float>());
    }

    [Fact]
    public void TheHessianOfAFunctionOfAParameterListIsAListOfLists()
    {
        var h = Assert.IsType<Tensor[][]>(Jax.Hessian((Tensor[] ps) => Sum(ps[0] * ps[0] * ps[1]))([V(2), V(3)]));
        Check.F32(h[0][0], [1, 1], 6);
        Check.F32(h[0][1], [1, 1], 4);
        Check.F32(h[1][0], [1, 1], 4);
        Check.F32(h[1][1], [1, 1], 0);
        var d = Assert.IsType<Dictionary<string, Dictionary<string, Tensor>>>(
            Jax.Hessian((Tensor[] xs, Dictionary<string, Tensor> p) => Sum(p["a"] * p["a"] * xs[0]), 1)([V(5)], new() { ["a"] = V(1) }));
        Check.F32(d["a"]["a"], [1, 1], 10);
    }
}
