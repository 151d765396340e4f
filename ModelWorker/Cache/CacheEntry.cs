using ModelWorker.Models;

namespace ModelWorker.Cache;

/// <summary>One cached row: whose it is, the input it answers (compared on a hit) and the answer.</summary>
internal sealed record CacheEntry(UInt128 Hash, ModelKey Model, float[] Input, float[] Output, long StoredAt);
