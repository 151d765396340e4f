using Gateway.Upstream;

namespace Gateway.Tests.Upstream;

/// <summary>
/// A cluster's cap on idle lean connections (nginx <c>keepalive N</c>): released beyond it a connection is closed, a
/// rented one gives its place back, and connections of an uncapped cluster are not counted.
/// </summary>
public sealed class LeanIdleBudgetTests : IDisposable
{
    private readonly HeldDestination _destination = new();

    public void Dispose() => _destination.Dispose();

    private LeanConnectionPool Pool() => new(_destination.Uri);

    private async Task<LeanConnection> ConnectAsync(LeanConnectionPool pool, LeanIdleBudget? budget)
    {
        var connection = await _destination.ConnectAsync(pool);
        connection.IdleBudget = budget;
        return connection;
    }

    [Fact]
    public async Task Return_BeyondTheCap_ClosesTheConnectionAndKeepsN()
    {
        using var pool = Pool();
        var budget = new LeanIdleBudget(2);
        var connections = new List<LeanConnection>();
        for (var i = 0; i < 4; i++)
        {
            connections.Add(await ConnectAsync(pool, budget));
        }

        connections.ForEach(pool.Return);

        Assert.Equal(2, pool.IdleCount);
        Assert.Equal(2, budget.Idle);
        Assert.Equal(2, connections.Count(c => c.IsDisposed));
    }

    [Fact]
    public async Task TryRent_GivesThePlaceBack_SoTheNextReturnIsKept()
    {
        using var pool = Pool();
        var budget = new LeanIdleBudget(1);
        var first = await ConnectAsync(pool, budget);
        var second = await ConnectAsync(pool, budget);
        pool.Return(first);

        var rented = pool.TryRent();
        Assert.Same(first, rented);
        Assert.Equal(0, budget.Idle);
        pool.Return(second);

        Assert.False(second.IsDisposed);
        Assert.Equal(1, budget.Idle);
    }

    [Fact]
    public async Task Return_NoBudget_NoCap()
    {
        using var pool = Pool();
        for (var i = 0; i < 3; i++)
        {
            pool.Return(await ConnectAsync(pool, budget: null));
        }

        Assert.Equal(3, pool.IdleCount);
    }
}
