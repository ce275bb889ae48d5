/**
 * Readiness checks for the AWS resources a service depends on: each is one cheap read-only
 * call that fails when the resource is missing or unreachable, or the task role lacks access.
 * Register with `app.readiness.add(name, check)`.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const queueReady = (sqs: SQSClient, queueUrl: string) => () =>
  sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));

export const topicReady = (sns: SNSClient, topicArn: string) => () =>
  sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));

export const tableReady = (dynamodb: DynamoDBClient, tableName: string) => () =>
  dynamodb.send(new DescribeTableCommand({ TableName: tableName }));

export const bucketReady = (s3: S3Client, bucket: string) => () =>
  s3.send(new HeadBucketCommand({ Bucket: bucket }));
