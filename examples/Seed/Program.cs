// The seed walk-through: the function from JAX's documentation, written once in C#, traced to
// the jaxpr JAX prints for it, and differentiated: make_jaxpr of grad (reverse mode) and of
// jacfwd (vmap of jvp over the standard basis); then jit's AOT stages: the optimized, fused
// program. Dumps asked for in COTANGENT_FLAGS (e.g. --print-ir-after-all) go to stderr.
using Cotangent;
using static Cotangent.Jnp;

Console.WriteLine(Jax.MakeJaxpr(F)(1f, 1f));
Console.WriteLine(Jax.MakeJaxpr(Jax.Grad(F))(1f, 1f));
Console.WriteLine(Jax.MakeJaxpr(Jax.JacFwd(F))(1f, 1f));
Console.WriteLine(Jax.Jit(F).Lower(1f, 1f).Compile().AsText());

static Tensor F(Tensor x1, Tensor x2) => (x1 / x2 - Exp(x2)) * (Sin(x1 / x2) + x1 / x2 - Exp(x2));
