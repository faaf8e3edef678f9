using Sp.Client.Api;
using Sp.Client.Cli;
using Sp.Client.Config;
using Sp.Core.Model;

namespace Spctl.Commands;

public static class OfferCommands
{
    public static async Task<int> ListAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var offers = await ctx.Node.ListOffersAsync(kind);
        if (offers.Count == 0) { Console.WriteLine("No offers found"); return 0; }
        Console.Write(Output.Table(["id", "name", "type", "provider", "slots", "enabled"],
            offers.Select(v => (IReadOnlyList<string?>)[v.Offer.Id.ToString(), v.Offer.Info.Name, v.Offer.Type.ToString(), v.Provider?.Name,
                string.Join(",", v.Offer.SlotIds), v.Offer.Enabled ? "yes" : "no"])));
        return 0;
    }

    public static async Task<int> GetAsync(CommandLine cl, string configPath)
    {
        var kind = Kind(cl.Positional(0, "tee|value"));
        var id = cl.PositionalId(1, "offer id");
        cl.RejectUnknown();
        using var ctx = new ClientContext(configPath);
        var v = await ctx.Node.GetOfferAsync(id) ?? throw new UserError($"offer {id} does not exist");
        if ((kind == "tee") != (v.Offer.Type == OfferType.TeeOffer))
            throw new UserError($"offer {id} is a {v.Offer.Type} offer", kind == "tee" ? "use `offers get value ID`" : "use `offers get tee ID`");
        Print(v);
        return 0;
    }

    private static void Print(OfferView v)
    {
        var o = v.Offer;
        Console.Write(Output.KeyValues([
            ("id", o.Id.ToString()),
            ("name", o.Info.Name),
            ("description", o.Info.Description),
            ("type", o.Type.ToString()),
            ("provider", v.Provider?.Name),
            ("provider_address", Sp.Crypto.Accounts.Address.Parse(o.Owner).ToString()),
            ("cancelable", o.Info.Cancelable ? "true" : "false"),
            ("enabled", o.Enabled ? "true" : "false"),
            ("slots", string.Join(",", o.SlotIds)),
            ("tee_certificate", o.TeeCertificate is null ? null : "present"),
            ("created", Output.Time(o.Created)),
        ]));
    }

    private static string Kind(string s) => s switch
    {
        "tee" => "tee",
        "value" => "value",
        _ => throw new UserError($"'{s}': expected tee or value"),
    };
}
