using Gateway.Transport;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Tests.Transport;

/// <summary>The epoll connection's feature collection keeps <see cref="FeatureCollection"/>'s contract.</summary>
public class ConnectionFeaturesTests
{
    private sealed class ItemsFeature : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }

    private sealed class Id(string id) : IConnectionIdFeature
    {
        public string ConnectionId { get; set; } = id;
    }

    [Fact]
    public void SetGetReplaceRemove_AsFeatureCollection()
    {
        var features = new ConnectionFeatures();
        var items = new ItemsFeature();
        features.Set<IConnectionItemsFeature>(items);
        features.Set<IConnectionIdFeature>(new Id("a"));
        var replaced = new Id("b");
        features.Set<IConnectionIdFeature>(replaced);

        Assert.Same(items, features.Get<IConnectionItemsFeature>());
        Assert.Same(replaced, features.Get<IConnectionIdFeature>());
        Assert.Same(replaced, features[typeof(IConnectionIdFeature)]);
        Assert.Null(features.Get<IConnectionLifetimeFeature>());
        Assert.Equal(2, features.Count());

        features.Set<IConnectionItemsFeature>(null);
        Assert.Null(features.Get<IConnectionItemsFeature>());
        Assert.Same(replaced, features.Get<IConnectionIdFeature>()); // the one moved into the freed place is still found
        Assert.Equal([typeof(IConnectionIdFeature)], features.Select(f => f.Key));
    }

    [Fact]
    public void EveryChange_MovesTheRevision_AndRemovingAnAbsentOneIsHarmless()
    {
        var features = new ConnectionFeatures();
        var before = features.Revision;
        features.Set<IConnectionIdFeature>(new Id("a"));
        var afterSet = features.Revision;
        features.Set<IConnectionIdFeature>(null);
        features.Set<IConnectionItemsFeature>(null);

        Assert.True(afterSet > before);
        Assert.True(features.Revision > afterSet);
        Assert.Empty(features);
    }

    [Fact]
    public void ManyFeatures_GrowPastTheFirstArrays()
    {
        var features = new ConnectionFeatures();
        var types = typeof(IConnectionIdFeature).Assembly.GetTypes().Where(t => t.IsInterface).Take(40).ToList();
        foreach (var type in types)
        {
            features[type] = type.Name;
        }

        Assert.Equal(types.Count, features.Count());
        Assert.All(types, t => Assert.Equal(t.Name, features[t]));
    }

    [Fact]
    public void AbsentValueTypeFeature_IsDefault()
    {
        var features = new ConnectionFeatures();

        Assert.Equal(0, features.Get<int>());
        features.Set(5);
        Assert.Equal(5, features.Get<int>());
    }
}
