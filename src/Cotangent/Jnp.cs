// TEMPORARY: the minimal Jnp the seed needs, until the facade branch lands (replaced on merge).
using N = Cotangent.Core.Numpy;

namespace Cotangent;

/// <summary>jax.numpy.</summary>
public static partial class Jnp
{
    /// <summary>Elementwise e^x.</summary>
    /// <param name="x">Input.</param>
    /// <returns>e^x.</returns>
    public static Tensor Exp(Tensor x) => new(N.exp(x.Value));

    /// <summary>Elementwise sine.</summary>
    /// <param name="x">Input.</param>
    /// <returns>sin x.</returns>
    public static Tensor Sin(Tensor x) => new(N.sin(x.Value));
}
