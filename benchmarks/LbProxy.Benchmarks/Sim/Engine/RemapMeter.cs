namespace Benchmarks.Sim.Engine;

/// <summary>
/// Publishes the cluster's new arrays and, for hashing policies, measures how many of a fixed sample of keys
/// changed their (unbounded) ring owner across the change, against the share the changed destinations owned.
/// </summary>
public sealed class RemapMeter(SimCluster cluster, SimRecorder recorder)
{
    private const int SampleKeys = 20_000;

    public void Refresh(bool measure, double at, string change)
    {
        if (!measure || cluster.Ring is null)
        {
            cluster.Refresh();
            return;
        }

        var before = Owners();
        cluster.Refresh();
        var after = Owners();
        var changed = 0;
        var minimum = 0;
        var afterSet = cluster.Members.Where((_, i) => cluster.MemberAvailable[i]).Select(d => d.Index).ToHashSet();
        var beforeSet = before.Where(o => o >= 0).ToHashSet();
        for (var k = 0; k < before.Length; k++)
        {
            changed += before[k] != after[k] ? 1 : 0;
            // A key must move if its owner left, or (on a join) if the new destination is now its owner.
            minimum += !afterSet.Contains(before[k]) || !beforeSet.Contains(after[k]) ? 1 : 0;
        }

        recorder.Remapped(new KeyRemap(at, change, changed / (double)before.Length, minimum / (double)before.Length));
    }

    private int[] Owners()
    {
        var ring = cluster.Ring!;
        var count = Math.Min(SampleKeys, cluster.KeyHashes.Length);
        var owners = new int[count];
        for (var k = 0; k < count; k++)
        {
            var i = ring.Pick(cluster.KeyHashes[k], cluster.MemberAvailable, 0);
            owners[k] = i < 0 ? -1 : cluster.Members[i].Index;
        }

        return owners;
    }
}
