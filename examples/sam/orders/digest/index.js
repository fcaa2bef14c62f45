// digest counts the orders announced on the topic and, on its schedule, logs the count since the
// last digest (CommonJS). The count lives in the execution environment, so it resets on a cold
// start, as it would on Lambda.
let announced = 0;

exports.handler = async (event) => {
  if (event['detail-type'] === 'Scheduled Event') {
    console.log(`digest: ${announced} orders since the last digest (scheduled at ${event.time})`);
    announced = 0;
    return { digest: true };
  }
  for (const record of event.Records || []) {
    announced += 1;
    console.log(`digest: counted order ${JSON.parse(record.Sns.Message).orderId}`);
  }
  return { counted: announced };
};
