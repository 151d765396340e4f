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
            Ticks.AddOrUpdate(type.StartsWith('<') ? WithDeclaringType(type, eventData) : type, 1, static (_, n) => n + 1);
        }
    }

    /// <summary>
    /// A compiler-made type (a closure "&lt;&gt;c__DisplayClass8_0") is named by the event without the type it belongs to; its
    /// handle (this process's own) says which.
    /// </summary>
    private static string WithDeclaringType(string type, EventWrittenEventArgs eventData)
    {
        var id = eventData.PayloadNames!.IndexOf("TypeID");
        var handle = id < 0 ? IntPtr.Zero : eventData.Payload?[id] switch
        {
            IntPtr p => p,
            ulong u => (nint)u,
            long l => (nint)l,
            _ => IntPtr.Zero,
        };
        if (handle == IntPtr.Zero)
        {
            return type;
        }

        try
        {
            return Type.GetTypeFromHandle(RuntimeTypeHandle.FromIntPtr(handle))?.FullName ?? type;
        }
        catch (ArgumentException)
        {
            return type;
        }
    }
}
