using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
namespace Cotangent.Bench;
/// <summary>With COTANGENT_GC_LOG=1, the probes end with the runtime's sampled allocations (one tick per
/// ~100 KB) summed by heap (SOH/LOH) and type: where the compiler's garbage comes from; and the
/// collections counted by generation and reason (reason 4, AllocLarge: the large-object heap's
/// budget forced a gen2 collection).</summary>
internal sealed class GcListener : EventListener
{
    public static readonly ConcurrentDictionary<string, long> Ticks = new();
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)1);
    }
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is { } g && g.StartsWith("GCStart") && e.Payload is { } gp && e.PayloadNames is { } gn)
        {
            var d = gn.Zip(gp).ToDictionary(x => x.First, x => x.Second);
            Ticks.AddOrUpdate($"GC gen{d["Depth"]} reason {d["Reason"]}", 1, (_, v) => v + 1);
        }
        if (e.EventName is { } n && n.StartsWith("GCAllocationTick") && e.Payload is { } p && e.PayloadNames is { } names)
        {
            var d = names.Zip(p).ToDictionary(x => x.First, x => x.Second);
            var kind = Convert.ToUInt32(d["AllocationKind"]) == 1 ? "LOH" : "SOH";
            long amount = Convert.ToInt64(d["AllocationAmount"]);
            Ticks.AddOrUpdate($"{kind} {d["TypeName"]}", amount, (_, v) => v + amount);
        }
    }
    public override void Dispose()
    {
        foreach (var (k, v) in Ticks.OrderByDescending(kv => kv.Value).Where(kv => kv.Key.StartsWith(Environment.GetEnvironmentVariable("COTANGENT_GC_LOG_HEAP") ?? "")).Take(40)) Console.WriteLine(k.StartsWith("GC ") ? $"  {v,8} x  {k}" : $"  {v / 1e6,8:F1} MB  {k}");
        base.Dispose();
    }
}
