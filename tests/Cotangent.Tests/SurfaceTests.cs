// SurfaceTests: the public surface of the Cotangent assembly, by reflection. No signature may
// mention an F# type; every public member carries XML docs (a summary, each parameter, a
// <returns> for each non-void method); every Jnp op binds to Func<Tensor, ...> of its arity.
using System.Reflection;
using System.Xml.Linq;
using Cotangent;
using Xunit;

namespace Cotangent.Tests;

public class SurfaceTests
{
    private static readonly Assembly Facade = typeof(Tensor).Assembly;

    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Public and protected members declared by the public types, without property and
    /// event accessors (operators stay) and compiler-generated fields.</summary>
    private static IEnumerable<MemberInfo> PublicMembers(Type type) =>
        type.GetMembers(Declared).Where(m => m switch
        {
            MethodBase b => (b.IsPublic || b.IsFamily || b.IsFamilyOrAssembly) && (!b.IsSpecialName || b.Name.StartsWith("op_", StringComparison.Ordinal) || b is ConstructorInfo),
            FieldInfo f => (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName,
            PropertyInfo p => p.GetAccessors(true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
            EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
            Type t => t.IsNestedPublic || t.IsNestedFamily,
            _ => false,
        });

    private static IEnumerable<Type> PublicTypes => Facade.GetExportedTypes();

    // ---- no F# types -----------------------------------------------------------------------

    private static IEnumerable<Type> Mentioned(Type t)
    {
        yield return t;
        if (t.HasElementType)
            foreach (var e in Mentioned(t.GetElementType()!)) yield return e;
        if (t.IsGenericType)
            foreach (var a in t.GetGenericArguments().SelectMany(Mentioned)) yield return a;
    }

    private static IEnumerable<Type> SignatureTypes(MemberInfo m) => m switch
    {
        MethodInfo mi => mi.GetParameters().Select(p => p.ParameterType).Append(mi.ReturnType)
            .Concat(mi.IsGenericMethodDefinition ? mi.GetGenericArguments().SelectMany(g => g.GetGenericParameterConstraints()) : []),
        ConstructorInfo ci => ci.GetParameters().Select(p => p.ParameterType),
        PropertyInfo pi => pi.GetIndexParameters().Select(p => p.ParameterType).Append(pi.PropertyType),
        FieldInfo fi => [fi.FieldType],
        EventInfo ei => ei.EventHandlerType is { } h ? [h] : [],
        _ => [],
    };

    private static bool IsFSharp(Type t) =>
        !t.IsGenericParameter && (t.Namespace ?? "").StartsWith("Microsoft.FSharp", StringComparison.Ordinal);

    /// <summary>Every public signature's offending F# types, as "member: type".</summary>
    internal static List<string> FSharpMentions(IEnumerable<Type> types)
    {
        var found = new List<string>();
        foreach (var type in types)
        {
            var heritage = new[] { type.BaseType }.Concat(type.GetInterfaces()).OfType<Type>();
            found.AddRange(heritage.SelectMany(Mentioned).Where(IsFSharp).Select(t => $"{type.FullName} : {t.FullName}"));
            foreach (var m in PublicMembers(type))
                found.AddRange(SignatureTypes(m).SelectMany(Mentioned).Where(IsFSharp).Select(t => $"{type.FullName}.{m.Name}: {t.FullName}"));
        }
        return found;
    }

    [Fact]
    public void NoPublicSignatureMentionsAnFSharpType()
    {
        Assert.NotEmpty(PublicTypes);
        var mentions = FSharpMentions(PublicTypes);
        Assert.True(mentions.Count == 0, string.Join("\n", mentions));
    }

    [Fact]
    public void TheFSharpCheckCatchesOffenders() =>
        Assert.Equal(3, FSharpMentions([typeof(FSharpLeak)]).Count); // field, parameter, return type

    // ---- XML docs --------------------------------------------------------------------------

    private static readonly Lazy<Dictionary<string, XElement>> Docs = new(() =>
    {
        var path = Path.ChangeExtension(Facade.Location, ".xml");
        Assert.True(File.Exists(path), $"no XML doc file at {path}: GenerateDocumentationFile must be on for src/Cotangent");
        return XDocument.Load(path).Descendants("member")
            .ToDictionary(e => (string)e.Attribute("name")!, e => e);
    });

    /// <summary>The documentation comment ID of a type, as the C# compiler writes it.</summary>
    internal static string TypeId(Type t)
    {
        if (t.IsByRef || t.IsPointer) return TypeId(t.GetElementType()!) + (t.IsByRef ? "@" : "*");
        if (t.IsArray)
            return TypeId(t.GetElementType()!) + (t.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", t.GetArrayRank())) + "]");
        if (t.IsGenericParameter) return (t.DeclaringMethod is null ? "`" : "``") + t.GenericParameterPosition;
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
        {
            var def = TypeId(t.GetGenericTypeDefinition());
            return def[..def.IndexOf('`')] + "{" + string.Join(",", t.GetGenericArguments().Select(TypeId)) + "}";
        }
        return (t.FullName ?? t.Name).Replace('+', '.');
    }

    /// <summary>The documentation comment ID of a member, as the C# compiler writes it.</summary>
    internal static string MemberId(MemberInfo m)
    {
        string Params(ParameterInfo[] ps) => ps.Length == 0 ? "" : "(" + string.Join(",", ps.Select(p => TypeId(p.ParameterType))) + ")";
        if (m is Type type) return "T:" + TypeId(type);
        var owner = TypeId(m.DeclaringType!);
        return m switch
        {
            ConstructorInfo c => $"M:{owner}.{(c.IsStatic ? "#cctor" : "#ctor")}{Params(c.GetParameters())}",
            MethodInfo mi => $"M:{owner}.{mi.Name}"
                + (mi.IsGenericMethodDefinition ? "``" + mi.GetGenericArguments().Length : "")
                + Params(mi.GetParameters())
                + (mi.Name is "op_Implicit" or "op_Explicit" ? "~" + TypeId(mi.ReturnType) : ""),
            PropertyInfo p => $"P:{owner}.{p.Name}{Params(p.GetIndexParameters())}",
            FieldInfo f => $"F:{owner}.{f.Name}",
            EventInfo e => $"E:{owner}.{e.Name}",
            _ => throw new NotSupportedException(m.GetType().Name),
        };
    }

    /// <summary>A member's doc with &lt;inheritdoc cref=…/&gt; resolved: its own tags first, then the target's.</summary>
    private static List<XElement> EffectiveDoc(string id, int depth = 0)
    {
        if (depth > 8 || !Docs.Value.TryGetValue(id, out var doc)) return [];
        var own = doc.Elements().ToList();
        var inherit = own.FirstOrDefault(e => e.Name == "inheritdoc");
        if (inherit?.Attribute("cref") is not { } cref) return own;
        var inherited = EffectiveDoc(cref.Value, depth + 1)
            .Where(e => !own.Any(o => o.Name == e.Name && (string?)o.Attribute("name") == (string?)e.Attribute("name")));
        return own.Concat(inherited).ToList();
    }

    /// <summary>What is missing from each public member's docs, as "id: problem".</summary>
    private static List<string> DocProblems()
    {
        var problems = new List<string>();
        foreach (var type in PublicTypes)
        {
            foreach (var m in PublicMembers(type).Prepend(type))
            {
                var id = MemberId(m);
                var doc = EffectiveDoc(id);
                string Text(XElement e) => string.Concat(e.DescendantNodes().OfType<XText>().Select(t => t.Value)).Trim();
                if (!doc.Any(e => e.Name == "summary" && Text(e).Length > 0))
                {
                    problems.Add($"{id}: no <summary>");
                    continue;
                }
                var parameters = m switch
                {
                    MethodBase b => b.GetParameters(),
                    PropertyInfo p => p.GetIndexParameters(),
                    _ => [],
                };
                foreach (var p in parameters)
                    if (!doc.Any(e => e.Name == "param" && (string?)e.Attribute("name") == p.Name && Text(e).Length > 0))
                        problems.Add($"{id}: no <param name=\"{p.Name}\">");
                if (m is MethodInfo mi && mi.ReturnType != typeof(void) && !doc.Any(e => e.Name == "returns" && Text(e).Length > 0))
                    problems.Add($"{id}: no <returns>");
                foreach (var e in doc.Where(e => e.Name == "exception"))
                    if (Text(e).Length == 0 || e.Attribute("cref") is null)
                        problems.Add($"{id}: an <exception> without a cref or text");
            }
        }
        return problems;
    }

    [Fact]
    public void EveryPublicMemberHasCompleteXmlDocs()
    {
        var problems = DocProblems();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void DocIdsMatchTheCompilersSpelling()
    {
        // if the ID scheme drifted, the docs test would report every member as undocumented
        Assert.Contains("M:Cotangent.Jnp.Sum(Cotangent.Tensor,System.Int32[],System.Boolean)", Docs.Value.Keys);
        Assert.Equal("M:Cotangent.Jnp.Sum(Cotangent.Tensor,System.Int32[],System.Boolean)",
            MemberId(typeof(Jnp).GetMethod(nameof(Jnp.Sum), [typeof(Tensor), typeof(int[]), typeof(bool)])!));
        Assert.Equal("M:Cotangent.Tensor.op_Implicit(System.Single)~Cotangent.Tensor",
            MemberId(typeof(Tensor).GetMethod("op_Implicit", [typeof(float)])!));
        Assert.Equal("M:Cotangent.Tensor.ToArray``1", MemberId(typeof(Tensor).GetMethod(nameof(Tensor.ToArray))!));
        Assert.Equal("M:Cotangent.Lax.Pad(Cotangent.Tensor,Cotangent.Tensor,System.ValueTuple{System.Int32,System.Int32,System.Int32}[])",
            MemberId(typeof(Lax).GetMethod(nameof(Lax.Pad))!));
        Assert.Equal("P:Cotangent.Tensor.Item(System.Int32)", MemberId(typeof(Tensor).GetProperty("Item")!));
        Assert.True(PublicMembers(typeof(Jnp)).Count() > 80);
    }

    // ---- exact-arity overloads -------------------------------------------------------------

    // Stand-ins with the overload set of Jax.Grad and friends: a method group binds only where
    // an overload has exactly the delegate's parameters (optional parameters do not count).
    private static int Arity(Func<Tensor, Tensor> f) => 1;
    private static int Arity(Func<Tensor, Tensor, Tensor> f) => 2;
    private static int Arity(Func<Tensor, Tensor, Tensor, Tensor> f) => 3;

    [Fact]
    public void JnpOpsBindAsFunctionsOfTensors()
    {
        int[] unary =
        [
            Arity(Jnp.Exp), Arity(Jnp.Log), Arity(Jnp.Log1p), Arity(Jnp.Expm1), Arity(Jnp.Sin), Arity(Jnp.Cos),
            Arity(Jnp.Tan), Arity(Jnp.Tanh), Arity(Jnp.Sqrt), Arity(Jnp.Rsqrt), Arity(Jnp.Abs), Arity(Jnp.Sign),
            Arity(Jnp.Floor), Arity(Jnp.Ceil), Arity(Jnp.Round), Arity(Jnp.Negative), Arity(Jnp.Square),
            Arity(Jnp.LogicalNot), Arity(Jnp.IsFinite), Arity(Jnp.Sigmoid), Arity(Jnp.StopGradient),
            Arity(Jnp.Sum), Arity(Jnp.Prod), Arity(Jnp.Max), Arity(Jnp.Min), Arity(Jnp.Mean), Arity(Jnp.ArgMax),
            Arity(Jnp.ArgMin), Arity(Jnp.CumSum), Arity(Jnp.Transpose), Arity(Jnp.Squeeze),
            Arity(Lax.Neg), Arity(Lax.Exp), Arity(Lax.Round), Arity(Lax.Cumsum), Arity(Lax.StopGradient),
        ];
        int[] binary =
        [
            Arity(Jnp.Power), Arity(Jnp.Add), Arity(Jnp.Subtract), Arity(Jnp.Multiply), Arity(Jnp.Divide),
            Arity(Jnp.Remainder), Arity(Jnp.Fmod), Arity(Jnp.Maximum), Arity(Jnp.Minimum), Arity(Jnp.Arctan2),
            Arity(Jnp.Equal), Arity(Jnp.NotEqual), Arity(Jnp.Less), Arity(Jnp.LessEqual), Arity(Jnp.Greater),
            Arity(Jnp.GreaterEqual), Arity(Jnp.LogicalAnd), Arity(Jnp.LogicalOr), Arity(Jnp.Dot), Arity(Jnp.Matmul),
            Arity(Lax.Add), Arity(Lax.Mul), Arity(Lax.Pow), Arity(Lax.Max),
        ];
        int[] ternary = [Arity(Jnp.Where), Arity(Lax.Select)];
        Assert.All(unary, a => Assert.Equal(1, a));
        Assert.All(binary, a => Assert.Equal(2, a));
        Assert.All(ternary, a => Assert.Equal(3, a));
    }

    [Fact]
    public void EveryJnpOpOnTensorsHasAnAllTensorOverload()
    {
        // ops whose extra arguments are structural (a shape, new axes) have no tensor-only form
        string[] structural = [nameof(Jnp.Reshape), nameof(Jnp.ExpandDims)];
        var methods = typeof(Jnp).GetMethods(BindingFlags.Public | BindingFlags.Static);
        var missing = methods
            .Where(m => m.GetParameters() is [{ ParameterType: var first }, ..] && first == typeof(Tensor))
            .Select(m => m.Name).Distinct()
            .Where(name => !structural.Contains(name))
            .Where(name => !methods.Any(m => m.Name == name && m.ReturnType == typeof(Tensor) && m.GetParameters().All(p => p.ParameterType == typeof(Tensor))))
            .ToList();
        Assert.Empty(missing);
    }
}

/// <summary>A type that leaks F# types, to show that the surface check finds them.</summary>
public static class FSharpLeak
{
    /// <summary>Leaks through a field.</summary>
    public static Microsoft.FSharp.Core.FSharpOption<int>? Field;

    /// <summary>Leaks through a parameter and a return type.</summary>
    /// <param name="xs">A list.</param>
    /// <returns>A list.</returns>
    public static Microsoft.FSharp.Collections.FSharpList<Tensor[]> Method(Func<Microsoft.FSharp.Core.Unit, int> xs) => throw new NotSupportedException();
}
