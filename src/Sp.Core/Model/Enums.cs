namespace Sp.Core.Model;

// Names and numeric values as in the original platform (cli-reference.md, "Enumerations").

public enum OrderStatus { New = 0, Processing = 1, Canceling = 2, Canceled = 3, Done = 4, Error = 5, Blocked = 6, Suspended = 7 }

public enum OfferType { TeeOffer = 0, Storage = 1, Solution = 2, Data = 3 }

public enum OfferGroup { Input = 0, Processing = 1, Output = 2 }

public enum PriceType { PerHour = 0, Fixed = 1 }

public static class OrderStatusExtensions
{
    public static bool IsFinal(this OrderStatus s) => s is OrderStatus.Done or OrderStatus.Error or OrderStatus.Canceled;
}
