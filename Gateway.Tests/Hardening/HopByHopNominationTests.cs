using Gateway.Hardening;
using Microsoft.Extensions.Primitives;

namespace Gateway.Tests.Hardening;

/// <summary>
/// The check every request and response passes through (HopByHopTransformProvider): whether a Connection header
/// names any header to strip. It must allocate nothing, since it runs whether or not the header names one.
/// </summary>
public class HopByHopNominationTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("keep-alive", false)]
    [InlineData("Keep-Alive, close", false)]
    [InlineData(" upgrade ,, CLOSE ", false)]
    [InlineData("X-Hop", true)]
    [InlineData("keep-alive, X-Hop", true)]
    [InlineData("close,x-a,x-b", true)]
    public void NominatesAny_Value_NamesHeaderOnlyBesideOptions(string? value, bool expected)
    {
        Assert.Equal(expected, HopByHopTransformProvider.NominatesAny(value is null ? StringValues.Empty : new StringValues(value)));
    }

    [Fact]
    public void NominatesAny_SeveralValues_AnyNamingAHeaderCounts()
    {
        Assert.True(HopByHopTransformProvider.NominatesAny(new StringValues(["keep-alive", "X-Hop"])));
        Assert.False(HopByHopTransformProvider.NominatesAny(new StringValues(["keep-alive", "close"])));
    }

    [Fact]
    public void NominatesAny_CommonValues_AllocatesNothing()
    {
        var none = StringValues.Empty;
        var keepAlive = new StringValues("keep-alive");
        var nominating = new StringValues("keep-alive, X-Hop");
        _ = HopByHopTransformProvider.NominatesAny(nominating); // JIT first

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _ = HopByHopTransformProvider.NominatesAny(none);
            _ = HopByHopTransformProvider.NominatesAny(keepAlive);
            _ = HopByHopTransformProvider.NominatesAny(nominating);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
