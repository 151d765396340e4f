using System.Globalization;
using System.Text;
using ModelWorker.Api;

namespace Gateway.Tests.Worker;

public sealed class JsonNumberTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("1")]
    [InlineData("-0.4821")]
    [InlineData("0.1")]
    [InlineData("3.4028234")]
    [InlineData("9007199254740992")]
    [InlineData("0.0000000000000000000001")]
    [InlineData("123456.789012345")]
    public void TryParsePlainDecimal_PlainDecimal_IsBitIdenticalToDoubleParse(string text)
    {
        Assert.True(JsonNumber.TryParsePlainDecimal(Encoding.ASCII.GetBytes(text), out var value));

        Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(value));
    }

    [Fact]
    public void TryParsePlainDecimal_RandomDecimals_AreBitIdenticalToDoubleParse()
    {
        var random = new Random(7);
        for (var i = 0; i < 100_000; i++)
        {
            var format = "0." + new string('#', random.Next(1, 18));
            var text = ((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 10))).ToString(format, CultureInfo.InvariantCulture);
            var expected = double.Parse(text, CultureInfo.InvariantCulture);

            if (JsonNumber.TryParsePlainDecimal(Encoding.ASCII.GetBytes(text), out var value))
            {
                Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(value), $"{text}: {value:R} vs {expected:R}");
            }
        }
    }

    [Theory]
    [InlineData("1e5")]
    [InlineData("1.5E-3")]
    [InlineData("9007199254740993")]
    [InlineData("0.00000000000000000000001")]
    [InlineData("12345678901234567890")]
    [InlineData("-")]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1.5x")]
    public void TryParsePlainDecimal_NeedsTheGeneralParser_ReturnsFalse(string text)
    {
        Assert.False(JsonNumber.TryParsePlainDecimal(Encoding.ASCII.GetBytes(text), out _));
    }
}
