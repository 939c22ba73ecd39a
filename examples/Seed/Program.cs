// The seed walk-through: the function from JAX's documentation, written once in C#, traced to
// the jaxpr JAX prints for it, and differentiated in reverse mode (make_jaxpr of grad).
using Cotangent;
using static Cotangent.Jnp;

Console.WriteLine(Jax.MakeJaxpr(F)(1f, 1f));
Console.WriteLine(Jax.MakeJaxpr(Jax.Grad(F))(1f, 1f));

static Tensor F(Tensor x1, Tensor x2) => (x1 / x2 - Exp(x2)) * (Sin(x1 / x2) + x1 / x2 - Exp(x2));
