using System.Globalization;

namespace Gateway.Config.Nginx;

/// <summary>nginx time values: <c>30</c> (seconds), <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c>, combinations like <c>1m30s</c>.</summary>
public static class NginxTime
{
    public static bool TrySeconds(string text, out double seconds)
    {
        seconds = 0;
        if (text.Length == 0)
        {
            return false;
        }

        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || !long.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            double? scale = text[unitStart..i] switch
            {
                "" or "s" => 1,
                "ms" => 0.001,
                "m" => 60,
                "h" => 3600,
                "d" => 86400,
                "w" => 604800,
                "M" => 2592000,
                "y" => 31536000,
                _ => null,
            };
            if (scale is null)
            {
                return false;
            }

            seconds += n * scale.Value;
        }

        return true;
    }
}
