namespace Sp.Core.Model;

/// <summary>Names inside the result archive that `orders download-result` saves.</summary>
public static class ResultLayout
{
    public const string OutputDir = "output/";
    public const string LogFile = "log.txt";
}
