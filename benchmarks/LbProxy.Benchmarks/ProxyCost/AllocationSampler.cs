using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Benchmarks.ProxyCost;

/// <summary>
/// What allocates, sampled in-process: the runtime's GC AllocationTick events (one per ~100 KB allocated, naming the
/// type that crossed the mark), counted by type. Enough to rank the allocating types without dotnet-trace.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    public ConcurrentDictionary<string, long> Ticks { get; } = new();

    public bool Recording { get; set; }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!Recording || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var index = eventData.PayloadNames.IndexOf("TypeName");
        if (index >= 0 && eventData.Payload?[index] is string type)
        {
            Ticks.AddOrUpdate(type, 1, static (_, n) => n + 1);
        }
    }
}
