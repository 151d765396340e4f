namespace Gateway.Config.Nginx;

/// <summary>
/// One <c>error_page CODE... [=[RESPONSE]] URI</c>: for these statuses, an internal redirect to <paramref name="Uri"/>
/// (a path, or a <c>@named</c> location), or a redirect when it is a URL. <paramref name="Overwrite"/>: -1 keeps the
/// error's status, 0 (<c>=</c>) takes the status of what the redirect produces, N (<c>=N</c>) answers N.
/// </summary>
public sealed record NginxErrorPage(IReadOnlyList<int> Codes, int Overwrite, NginxTemplate Uri)
{
    public static NginxErrorPage Read(NginxDirective d)
    {
        var args = d.Args;
        var overwrite = -1;
        var codeCount = args.Count - 1;
        if (args[^2].StartsWith('='))
        {
            codeCount--;
            var text = args[^2][1..];
            overwrite = text.Length == 0 ? 0
                : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw NginxConfigException.At(d, $"invalid value \"{args[^2]}\"");
        }

        if (codeCount < 1)
        {
            throw NginxConfigException.At(d, "invalid number of arguments in \"error_page\" directive");
        }

        var codes = new List<int>();
        for (var i = 0; i < codeCount; i++)
        {
            if (!int.TryParse(args[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
            {
                throw NginxConfigException.At(d, $"invalid value \"{args[i]}\"");
            }

            if (code is < 300 or > 599)
            {
                throw NginxConfigException.At(d, $"value \"{args[i]}\" must be between 300 and 599");
            }

            codes.Add(code);
        }

        return new NginxErrorPage(codes, overwrite, NginxTemplate.Parse(args[^1], d));
    }
}
