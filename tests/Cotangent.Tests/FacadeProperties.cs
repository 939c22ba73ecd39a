// FsCheck properties of the C# facade on random smooth expressions of two vectors: gradients
// (both modes, orders 1 and 2) against finite differences in float64, Jax.Jit against the eager
// call, and Jax.Vmap against the function applied row by row. Counterexamples shrink to the
// smallest expression and inputs that fail.
using Cotangent;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static Cotangent.Jnp;

namespace Cotangent.Tests;

/// <summary>An expression over inputs x and y, built from facade ops smooth on all reals.</summary>
public abstract record Expr
{
    public abstract Tensor Eval(Tensor x, Tensor y);
}

public sealed record Input(bool IsX) : Expr
{
    public override Tensor Eval(Tensor x, Tensor y) => IsX ? x : y;
    public override string ToString() => IsX ? "x" : "y";
}

public sealed record Literal(double Value) : Expr
{
    public override Tensor Eval(Tensor x, Tensor y) => Value;
    public override string ToString() => Value.ToString("R");
}

public sealed record Unary(string Op, Expr A) : Expr
{
    public override Tensor Eval(Tensor x, Tensor y)
    {
        var a = A.Eval(x, y);
        return Op switch
        {
            "sin" => Sin(a),
            "cos" => Cos(a),
            "tanh" => Tanh(a),
            "neg" => -a,
            "square" => Square(a),
            // bounded arguments keep exp and log finite and well conditioned
            "exp" => Exp(Tanh(a)),
            "log1p" => Log1p(a * a),
            _ => throw new ArgumentException(Op),
        };
    }
    public override string ToString() => $"{Op}({A})";
}

public sealed record Binary(string Op, Expr A, Expr B) : Expr
{
    public override Tensor Eval(Tensor x, Tensor y)
    {
        var a = A.Eval(x, y);
        var b = B.Eval(x, y);
        return Op switch
        {
            "+" => a + b,
            "-" => a - b,
            "*" => a * b,
            // a denominator at least 1
            "/" => a / (1.0 + b * b),
            _ => throw new ArgumentException(Op),
        };
    }
    public override string ToString() => $"({A} {Op} {B})";
}

/// <summary>An expression and the float64 values of x and y (vectors of one length).</summary>
public sealed record Case(Expr Expr, double[] X, double[] Y)
{
    public override string ToString() => $"{Expr} at x = [{string.Join(", ", X)}], y = [{string.Join(", ", Y)}]";
}

public class FacadeProperties
{
    private static readonly string[] UnaryOps = ["sin", "cos", "tanh", "neg", "square", "exp", "log1p"];
    private static readonly string[] BinaryOps = ["+", "-", "*", "/"];

    private static Gen<Expr> Exprs(int size) =>
        size <= 0
            ? Gen.OneOf(Gen.Elements(true, false).Select(b => (Expr)new Input(b)),
                        Gen.Choose(-20, 20).Select(k => (Expr)new Literal(k / 10.0)))
            : Gen.Frequency(
                (2, Exprs(0)),
                (3, Gen.Elements(UnaryOps).SelectMany(op => Exprs(size / 2).Select(a => (Expr)new Unary(op, a)))),
                (4, Gen.Elements(BinaryOps).SelectMany(op => Exprs(size / 2).SelectMany(a => Exprs(size / 2).Select(b => (Expr)new Binary(op, a, b))))));

    private static Gen<double[]> Values(int n) =>
        Gen.Choose(-150, 150).Select(k => k / 100.0).ArrayOf(n);

    /// <summary>Smaller cases: a subexpression in place of the expression, then inputs rounded to
    /// tenths and to zero.</summary>
    private static IEnumerable<Case> Shrink(Case c)
    {
        var children = c.Expr switch
        {
            Unary u => new[] { u.A },
            Binary b => new[] { b.A, b.B },
            _ => System.Array.Empty<Expr>(),
        };
        foreach (var e in children) yield return c with { Expr = e };
        double[] Round(double[] v) => v.Select(d => Math.Round(d, 1)).ToArray();
        if (!c.X.SequenceEqual(Round(c.X)) || !c.Y.SequenceEqual(Round(c.Y))) yield return c with { X = Round(c.X), Y = Round(c.Y) };
        if (c.X.Any(d => d != 0) || c.Y.Any(d => d != 0)) yield return c with { X = new double[c.X.Length], Y = new double[c.Y.Length] };
    }

    private static Arbitrary<Case> Cases(int rows) =>
        Arb.From(
            Gen.Sized(size => Exprs(Math.Min(size, 12)))
                .SelectMany(e => Gen.Choose(1, 4).SelectMany(n => Values(rows * n).SelectMany(x => Values(rows * n).Select(y => new Case(e, x, y))))),
            Shrink);

    private static void Close(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Property(MaxTest = 400)]
    public Property GradientsMatchFiniteDifferencesInBothModes() =>
        Prop.ForAll(Cases(1), c =>
        {
            // a scalar output: the sum, so grad and jacrev apply alike
            Jax.CheckGrads((x, y) => Sum(c.Expr.Eval(x, y)), (Array(c.X), Array(c.Y)), 2);
        });

    [Property(MaxTest = 300)]
    public Property JitEqualsTheEagerCall() =>
        Prop.ForAll(Cases(1), c =>
        {
            Func<Tensor, Tensor, Tensor> f = (x, y) => c.Expr.Eval(x, y) + 0.0 * x;
            var eager = f(Array(c.X), Array(c.Y)).ToArray<double>();
            var jitted = Jax.Jit(f).Invoke(Array(c.X), Array(c.Y)).ToArray<double>();
            Close(eager, jitted, 1e-12);
        });

    [Property(MaxTest = 300)]
    public Property VmapEqualsTheFunctionRowByRow() =>
        Prop.ForAll(Cases(3), c =>
        {
            Func<Tensor, Tensor, Tensor> f = (x, y) => c.Expr.Eval(x, y) + 0.0 * x;
            int n = c.X.Length / 3;
            var mapped = Jax.Vmap(f)(Array(c.X, [3, n]), Array(c.Y, [3, n])).ToArray<double>();
            var rows = Enumerable.Range(0, 3).SelectMany(r =>
                f(Array(c.X[(r * n)..((r + 1) * n)]), Array(c.Y[(r * n)..((r + 1) * n)])).ToArray<double>()).ToArray();
            Close(rows, mapped, 1e-12);
        });
}
