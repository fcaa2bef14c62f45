// notify tells the customer about each order announced on the topic (an ES module, async).
export const handler = async (event) => {
  for (const record of event.Records) {
    const order = JSON.parse(record.Sns.Message);
    console.log(`notify: order ${order.orderId} confirmed (${order.quantity} x ${order.item})`);
  }
  return { notified: event.Records.length };
};
