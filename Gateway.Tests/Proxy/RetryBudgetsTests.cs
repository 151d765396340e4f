using Gateway.Config;
using Gateway.LoadBalancing;
using Gateway.Proxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Proxy;

/// <summary>Envoy's retry budget: retries in flight at most BudgetPercent of active requests, at least MinRetryConcurrency.</summary>
public sealed class RetryBudgetsTests
{
    private static readonly RetryOptions Envoy = new() { BudgetPercent = 20, MinRetryConcurrency = 3 };
    private readonly DestinationStatsRegistry _registry = new(LatencyModel.Default);
    private readonly ClusterState _cluster = new("c");

    private void InFlight(int count)
    {
        var stats = _registry.Get(_cluster, new DestinationState("d"));
        for (var i = 0; i < count; i++)
        {
            stats.Begin();
        }
    }

    private int Acquire(RetryBudgets budgets, RetryOptions options, int attempts) =>
        Enumerable.Range(0, attempts).Count(_ => budgets.TryAcquire(_cluster, options));

    [Fact]
    public void TryAcquire_FewActiveRequests_AllowsTheMinimumConcurrency()
    {
        var budgets = new RetryBudgets(_registry);
        InFlight(5);

        Assert.Equal(3, Acquire(budgets, Envoy, 10));
    }

    [Fact]
    public void TryAcquire_ManyActiveRequests_AllowsTwentyPercent()
    {
        var budgets = new RetryBudgets(_registry);
        InFlight(100);

        Assert.Equal(20, Acquire(budgets, Envoy, 50));
    }

    [Fact]
    public void Release_AfterARetryEnds_FreesItsSlot()
    {
        var budgets = new RetryBudgets(_registry);
        Assert.Equal(3, Acquire(budgets, Envoy, 3));
        Assert.False(budgets.TryAcquire(_cluster, Envoy));

        budgets.Release(_cluster);

        Assert.True(budgets.TryAcquire(_cluster, Envoy));
    }

    [Fact]
    public void TryAcquire_ZeroBudgetAndMinimum_RefusesEveryRetry()
    {
        var budgets = new RetryBudgets(_registry);
        InFlight(100);

        Assert.Equal(0, Acquire(budgets, new RetryOptions { BudgetPercent = 0, MinRetryConcurrency = 0 }, 5));
    }
}
