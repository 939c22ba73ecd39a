// JitOptions: how Jax.Jit compiles, as typed properties that render to the pass manager's
// MLIR-style flags (DESIGN.md §4). Everything ends up as one flag string, which the core parses
// (after COTANGENT_FLAGS, so these win) and keys its executable cache by.
using Cotangent.Core;
using Microsoft.FSharp.Core;

namespace Cotangent;

/// <summary>How IR dumps are printed (<c>--dump-format</c>).</summary>
public enum DumpFormat
{
    /// <summary>JAX's jaxpr text form (<c>--dump-format=jaxpr</c>).</summary>
    Jaxpr,

    /// <summary>The generic IR form, which parses back (<c>--dump-format=ir</c>, the default).</summary>
    Ir,

    /// <summary>A Graphviz picture, one node per op and one cluster per fused kernel
    /// (<c>--dump-format=dot</c>).</summary>
    Dot,
}

/// <summary>How <see cref="Jax.Jit(Func{Tensor, Tensor}, JitOptions)"/> compiles: the pass
/// pipeline, IR dumps around passes, and reports, as MLIR's pass-manager flags. The typed
/// properties render to flags (see <see cref="ToFlags"/>); <see cref="Flags"/> takes raw flags.</summary>
/// <remarks>Flags in the environment variable <c>COTANGENT_FLAGS</c> apply first, then these.
/// Executables are cached per traced signature and flag string.</remarks>
public sealed class JitOptions
{
    /// <summary>Default options: the default pipeline, no dumps or reports, output to
    /// <see cref="Console.Error"/>; set properties with an object initializer.</summary>
    public JitOptions() { }

    /// <summary>Raw MLIR-style flags, separated by spaces, e.g.
    /// <c>"--print-ir-after-all --timing"</c>; rendered after the typed properties, so they win
    /// where both set the same option.</summary>
    public string Flags { get; init; } = "";

    /// <summary>Passes to print the IR before (<c>--print-ir-before=P,...</c>).</summary>
    public IReadOnlyList<string> PrintIrBefore { get; init; } = [];

    /// <summary>Passes to print the IR after (<c>--print-ir-after=P,...</c>).</summary>
    public IReadOnlyList<string> PrintIrAfter { get; init; } = [];

    /// <summary>Prints the IR before every pass (<c>--print-ir-before-all</c>).</summary>
    public bool PrintIrBeforeAll { get; init; }

    /// <summary>Prints the IR after every pass (<c>--print-ir-after-all</c>).</summary>
    public bool PrintIrAfterAll { get; init; }

    /// <summary>Prints after a pass only when it changed the IR (<c>--print-ir-after-change</c>);
    /// alone it applies to every pass, with <see cref="PrintIrAfter"/> to those named.</summary>
    public bool PrintIrAfterChange { get; init; }

    /// <summary>Prints the IR a failing pass or the verifier saw (<c>--print-ir-after-failure</c>).</summary>
    public bool PrintIrAfterFailure { get; init; }

    /// <summary>Writes each dump to <c>NN_&lt;pass&gt;.&lt;ext&gt;</c> in this directory instead of
    /// <see cref="Output"/> (<c>--dump-dir=DIR</c>); null prints to <see cref="Output"/>.</summary>
    public string? DumpDirectory { get; init; }

    /// <summary>The format of dumps (<c>--dump-format</c>); null keeps the default
    /// (<see cref="Cotangent.DumpFormat.Ir"/>, or what <c>COTANGENT_FLAGS</c> says).</summary>
    public DumpFormat? DumpFormat { get; init; }

    /// <summary>Prints a per-pass time table, MLIR's "Execution time report" (<c>--timing</c>).</summary>
    public bool Timing { get; init; }

    /// <summary>Prints each pass's counters, MLIR's "Pass statistics report"
    /// (<c>--pass-statistics</c>).</summary>
    public bool PassStatistics { get; init; }

    /// <summary>The passes to run, in order, instead of the default pipeline (<c>--pipeline=...</c>);
    /// null runs the default. A pipeline that stops before code generation is finished with
    /// <c>fuse</c> and <c>lower-to-loops</c>.</summary>
    public IReadOnlyList<string>? Pipeline { get; init; }

    /// <summary>Passes left out of the pipeline (<c>--disable-pass=P,...</c>).</summary>
    public IReadOnlyList<string> DisabledPasses { get; init; } = [];

    /// <summary>Runs the IR verifier after each pass (<c>--verify-each</c>).</summary>
    public bool VerifyEach { get; init; }

    /// <summary>Where dumps and reports go; null (the default) is <see cref="Console.Error"/> at
    /// the time of writing.</summary>
    public TextWriter? Output { get; init; }

    /// <summary>The options as one flag string, as <c>COTANGENT_FLAGS</c> takes it: the typed
    /// properties first, then <see cref="Flags"/>.</summary>
    /// <returns>The flags, e.g. <c>--print-ir-after=cse,fuse --timing</c>; empty for defaults.</returns>
    /// <exception cref="ArgumentException">A pass name is empty or holds a comma or whitespace, or
    /// <see cref="DumpDirectory"/> holds whitespace (flags are separated by spaces).</exception>
    public string ToFlags()
    {
        var flags = new List<string>();
        void Names(string flag, IReadOnlyList<string>? names, string property, bool always = false)
        {
            if (names is null || (names.Count == 0 && !always)) return;
            foreach (var n in names)
                if (string.IsNullOrEmpty(n) || n.Contains(',') || n.Any(char.IsWhiteSpace))
                    throw new ArgumentException($"JitOptions.{property}: '{n}' is not a pass name.", property);
            flags.Add($"--{flag}={string.Join(',', names)}");
        }
        void Switch(string flag, bool on)
        {
            if (on) flags.Add("--" + flag);
        }
        Names("print-ir-before", PrintIrBefore, nameof(PrintIrBefore));
        Names("print-ir-after", PrintIrAfter, nameof(PrintIrAfter));
        Switch("print-ir-before-all", PrintIrBeforeAll);
        Switch("print-ir-after-all", PrintIrAfterAll);
        Switch("print-ir-after-change", PrintIrAfterChange);
        Switch("print-ir-after-failure", PrintIrAfterFailure);
        if (DumpDirectory is { } dir)
        {
            if (dir.Length == 0 || dir.Any(char.IsWhiteSpace))
                throw new ArgumentException($"JitOptions.DumpDirectory: '{dir}' must be a non-empty path without whitespace.", nameof(DumpDirectory));
            flags.Add("--dump-dir=" + dir);
        }
        if (DumpFormat is { } format)
            flags.Add("--dump-format=" + format switch
            {
                Cotangent.DumpFormat.Jaxpr => "jaxpr",
                Cotangent.DumpFormat.Ir => "ir",
                Cotangent.DumpFormat.Dot => "dot",
                _ => throw new ArgumentOutOfRangeException(nameof(DumpFormat), format, "not a dump format"),
            });
        Switch("timing", Timing);
        Switch("pass-statistics", PassStatistics);
        Names("pipeline", Pipeline, nameof(Pipeline), always: true);
        Names("disable-pass", DisabledPasses, nameof(DisabledPasses));
        Switch("verify-each", VerifyEach);
        if (!string.IsNullOrWhiteSpace(Flags)) flags.Add(Flags.Trim());
        return string.Join(' ', flags);
    }

    /// <summary>The options rendered as the core's config, its flags parsed once so a bad flag
    /// fails here (a CotangentException naming it) rather than at the first call.</summary>
    internal Api.JitConfig ToConfig()
    {
        var flags = ToFlags();
        PassManager.parseFlags(flags, PassManager.OptionsModule.empty);
        var output = Output;
        return new Api.JitConfig(flags, FuncConvert.FromAction<string>(text =>
        {
            var writer = output ?? Console.Error;
            lock (writer)
            {
                writer.Write(text);
                writer.Flush();
            }
        }));
    }
}
